// Delivery backlog sampler: every DELIVERY_BACKLOG_SAMPLE_MS, what each receiver's delivery lanes
// hold (JetStream consumer info of deliver_<receiver>_<lane>, through deliveryStatus, the same
// numbers as `hub deliveries status`) goes to ClickHouse `delivery_backlog`, one row per receiver,
// for the Hub traffic dashboard. A row is written for every receiver, also when nothing waits, so
// the latest sample says whether it caught up. Rows are keyed by the sample's slot (the time
// rounded down to the interval): two pipelines processes sampling in one slot write one row.
import type { ClickHouseClient } from '@clickhouse/client';
import type { HubDeps } from '../../src/deps.ts';
import { partyKey } from '../../src/bus/subjects.ts';
import { deliveryStatus, type ReceiverBacklog } from '../../src/hub/delivery/status.ts';
import { startPeriodicJob } from '../../src/periodicJob.ts';

export interface BacklogOptions {
  /** Between samples (default DELIVERY_BACKLOG_SAMPLE_MS). */
  intervalMs?: number;
}

export interface BacklogRow {
  at: number;
  receiver_country_code: string;
  receiver_party_id: string;
  status: string;
  pending: number;
  oldest_age_s: number;
  dead_letters: number;
  sampled_at: number;
}

/** Rows of one sample: the status lines named by party (receiver keys mapped back through `parties`). */
export function backlogRows(statuses: readonly ReceiverBacklog[], parties: readonly { country_code: string; party_id: string }[], nowMs: number, slotS: number): BacklogRow[] {
  const byKey = new Map(parties.map((p) => [partyKey(p.country_code, p.party_id), p]));
  const sampledAt = Math.floor(nowMs / 1000);
  const at = Math.floor(sampledAt / slotS) * slotS;
  const out: BacklogRow[] = [];
  for (const s of statuses) {
    const party = byKey.get(s.receiver);
    if (!party) continue;
    out.push({
      at,
      receiver_country_code: party.country_code.toUpperCase(),
      receiver_party_id: party.party_id.toUpperCase(),
      status: s.status,
      pending: s.pending,
      oldest_age_s: s.pending > 0 && s.oldest_age_s !== null ? Math.max(0, s.oldest_age_s) : 0,
      dead_letters: s.dead_letters,
      sampled_at: sampledAt,
    });
  }
  return out;
}

const slotOf = (intervalMs: number) => Math.max(1, Math.round(intervalMs / 1000));

/** Takes one sample and writes it; returns the rows written. */
export async function sampleBacklog(deps: HubDeps, clickhouse: ClickHouseClient, options: { intervalMs?: number } = {}): Promise<BacklogRow[]> {
  const statuses = await deliveryStatus(deps);
  const rows = backlogRows(statuses, await deps.directory.all(), Date.now(), slotOf(options.intervalMs ?? deps.config.DELIVERY_BACKLOG_SAMPLE_MS));
  if (rows.length > 0) await clickhouse.insert({ table: 'delivery_backlog', format: 'JSONEachRow', values: rows });
  return rows;
}

export function startBacklogSampler(deps: HubDeps, clickhouse: ClickHouseClient, options: BacklogOptions = {}): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? deps.config.DELIVERY_BACKLOG_SAMPLE_MS;
  return startPeriodicJob(deps, {
    name: 'delivery-backlog-sample',
    intervalMs,
    async run() {
      await sampleBacklog(deps, clickhouse, { intervalMs });
    },
  });
}
