// `hub pipelines status [--json]`: how far behind the analytics pipelines are (JetStream consumer
// lag on the subjects each consumer takes), what ClickHouse holds, when the dashboard rollups last
// ran and what waits for review.
// Exit 0 when every consumer exists, ClickHouse answers and the rollups are not stale.
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, quote } from '../store/clickhouse.ts';
import { ROLLUP_JOB } from '../../pipelines/rollups/queries.ts';
import { INGEST_DURABLE, TRAFFIC_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
import { subjectSpace } from '../bus/subjects.ts';
import type { HubDeps } from '../deps.ts';
import { parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

export interface ConsumerLag {
  consumer: string;
  stream: string;
  /**
   * The subjects the consumer takes (its filter; the one it will have when it does not exist
   * yet). The stream may hold others it never reads: the anomaly detector takes CDRs only, from a
   * stream that holds sessions and locations too, so the stream's last sequence says nothing of
   * how far behind it is.
   */
  filter_subject: string;
  exists: boolean;
  /**
   * Messages on its subjects it has not been given yet (JetStream's num_pending, which counts
   * only the filter's). When it does not exist yet: the messages stored on its subjects, which it
   * will read from the start.
   */
  pending: number;
  /** Given but not acknowledged (being written, or held while ClickHouse is down). */
  unacked: number;
  /** How far behind it is: pending plus unacked (0: caught up). */
  lag: number;
  redelivered: number;
  last_delivered_seq: number;
  ack_floor_seq: number;
}

export interface RollupsStatus {
  /** The last run that recomputed something (a run that found no new CDRs records nothing) and the days it recomputed. */
  last_run: { finished_at: string; age_s: number; days: string[] } | null;
  /** When the oldest CDR the rollups do not cover yet arrived (server clock); null when they are current. */
  waiting_since: string | null;
  /** CDRs have waited for the rollups longer than ROLLUP_STALE_INTERVALS × ANALYTICS_ROLLUP_INTERVAL_MS. */
  stale: boolean;
  error?: string;
}

export interface PipelinesStatus {
  consumers: ConsumerLag[];
  clickhouse: { reachable: boolean; tables: Record<string, number>; last_ingested_at: string | null; error?: string };
  rollups: RollupsStatus;
  review_items: Record<string, number>;
}

/** Rollups are stale when CDRs have waited for them this many rollup intervals. */
export const ROLLUP_STALE_INTERVALS = 3;

/**
 * Stale (pure): CDRs arrived after the last run started (`waitingSince`, unix seconds) and no run
 * has covered them for more than 3 intervals. A quiet hub, whose last run is old because no CDR
 * came since, is current, not stale.
 */
export function rollupsStale(serverNow: number, waitingSince: number | null, intervalMs: number): boolean {
  return waitingSince !== null && serverNow - waitingSince > (ROLLUP_STALE_INTERVALS * intervalMs) / 1000;
}

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** The last rollup run (pipelines/rollups/ records it in rollup_runs), its days, and what waits for the next one. */
export async function rollupsStatus(ch: ClickHouseClient, intervalMs: number): Promise<RollupsStatus> {
  const rows = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
  const [run] = await rows<{ server_now: number; runs: string; last_finished: number; last_watermark: number; last_version: string }>(
    `SELECT toUInt32(now()) AS server_now, count() AS runs, toUInt32(argMax(finished_at, version)) AS last_finished, toUInt32(argMax(watermark, version)) AS last_watermark, toString(max(version)) AS last_version FROM rollup_runs WHERE job = ${quote(ROLLUP_JOB)}`,
  );
  const serverNow = Number(run.server_now);
  const ran = Number(run.runs) > 0;
  // Every group a run writes carries its version: the days of the last run are those of its revenue rows.
  const days = ran && /^\d+$/.test(run.last_version) ? (await rows<{ day: string }>(`SELECT DISTINCT toString(day) AS day FROM revenue_daily WHERE version = toUInt64(${run.last_version}) ORDER BY day`)).map((r) => r.day) : [];
  const [waiting] = await rows<{ n: string; since: number }>(`SELECT count() AS n, toUInt32(min(touched_at)) AS since FROM rollup_touched_days WHERE touched_at >= toDateTime(${ran ? Number(run.last_watermark) : 0})`);
  const waitingSince = Number(waiting.n) > 0 ? Number(waiting.since) : null;
  return {
    last_run: ran ? { finished_at: iso(Number(run.last_finished)), age_s: Math.max(0, serverNow - Number(run.last_finished)), days } : null,
    waiting_since: waitingSince === null ? null : iso(waitingSince),
    stale: rollupsStale(serverNow, waitingSince, intervalMs),
  };
}

/** One line for the text output: when the rollups ran, which days, and whether they are behind. */
export function rollupsLine(r: RollupsStatus, intervalMs: number): string {
  if (r.error) return `rollups: unknown (${r.error})`;
  const days = (d: string[]) => (d.length <= 6 ? d.join(', ') : `${d[0]} … ${d[d.length - 1]} (${d.length} days)`);
  const ran = r.last_run ? `last run ${r.last_run.finished_at} (${r.last_run.age_s} s ago), recomputed ${days(r.last_run.days) || 'no day'}` : 'never run';
  if (r.stale) return `rollups: STALE, ${ran}; CDRs since ${r.waiting_since} wait for them (more than ${ROLLUP_STALE_INTERVALS} × ${intervalMs} ms): is a pipelines role running?`;
  return `rollups: ${ran}; ${r.waiting_since ? `CDRs since ${r.waiting_since} wait for the next run` : 'current'}`;
}

/** One consumer's line of the text output. */
export function consumerLine(c: ConsumerLag): string {
  const head = `${c.consumer.padEnd(23)}${c.stream.padEnd(21)}`;
  if (!c.exists) return `${head}not created yet (start the pipelines role); ${c.pending} messages on ${c.filter_subject} wait for it`;
  return `${head}${String(c.lag).padStart(6)}${String(c.pending).padStart(9)}${String(c.unacked).padStart(9)}${String(c.redelivered).padStart(13)}  ${c.filter_subject}`;
}

export const CONSUMERS_HEADER = `${'consumer'.padEnd(23)}${'stream'.padEnd(21)}${'lag'.padStart(6)}${'pending'.padStart(9)}${'unacked'.padStart(9)}${'redelivered'.padStart(13)}  subjects`;

/** Messages the stream holds on `subject` (a filter with wildcards): the sum of its per-subject counts. */
async function messagesOn(deps: HubDeps, stream: string, subject: string): Promise<number> {
  const info = await deps.bus.jsm.streams.info(stream, { subjects_filter: subject }).catch(() => null);
  return Object.values(info?.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
}

/**
 * Lag of each analytics consumer on the subjects it takes (pipelines/ingest, pipelines/anomalies):
 * the subjects of the configured prefix, as connectBus names them for every process.
 */
async function consumerLags(deps: HubDeps): Promise<ConsumerLag[]> {
  const { streams, ocpiAll, traffic, moduleAll } = subjectSpace(deps.config.NATS_STREAM_PREFIX);
  const consumers: ConsumerLag[] = [];
  const taken = [
    [streams.ocpi, INGEST_DURABLE, ocpiAll],
    [streams.traffic, TRAFFIC_DURABLE, traffic('delivery')],
    [streams.ocpi, ANOMALIES_DURABLE, moduleAll('cdrs')],
  ] as const;
  for (const [stream, durable, filter] of taken) {
    const info = await deps.bus.jsm.consumers.info(stream, durable).catch(() => null);
    const filterSubject = info?.config.filter_subject || filter;
    const pending = info ? info.num_pending : await messagesOn(deps, stream, filterSubject);
    const unacked = info?.num_ack_pending ?? 0;
    consumers.push({
      consumer: durable,
      stream,
      filter_subject: filterSubject,
      exists: info !== null,
      pending,
      unacked,
      lag: pending + unacked,
      redelivered: info?.num_redelivered ?? 0,
      last_delivered_seq: info?.delivered.stream_seq ?? 0,
      ack_floor_seq: info?.ack_floor.stream_seq ?? 0,
    });
  }
  return consumers;
}

export async function pipelinesStatus(deps: HubDeps): Promise<PipelinesStatus> {
  const consumers = await consumerLags(deps);
  const clickhouse: PipelinesStatus['clickhouse'] = { reachable: false, tables: {}, last_ingested_at: null };
  let rollups: RollupsStatus = { last_run: null, waiting_since: null, stale: false };
  const ch = createClickHouse(deps.config.CLICKHOUSE_URL, deps.config.CLICKHOUSE_DATABASE);
  try {
    // Distinct keys, not rows: a redelivered batch is stored twice until ClickHouse merges the parts.
    const counts = await (
      await ch.query({
        query: `SELECT 'cdrs' AS t, uniqExact(country_code, party_id, id) AS n FROM cdrs
          UNION ALL SELECT 'session_events', uniqExact(country_code, party_id, session_id, last_updated, stream_seq) FROM session_events
          UNION ALL SELECT 'deliveries', uniqExact(at, stream_seq) FROM deliveries WHERE outcome IN ('delivered', 'failed', 'dead_letter')
          UNION ALL SELECT 'sync_calls', uniqExact(at, stream_seq) FROM deliveries WHERE outcome IN ('answered', 'refused', 'timeout', 'unreachable', 'not_forwarded')
          UNION ALL SELECT 'anomalies', uniqExact(finding_key) FROM anomalies
          UNION ALL SELECT 'validation_findings', uniqExact(module, country_code, party_id, object_id, path, rule) FROM validation_findings`,
        format: 'JSONEachRow',
      })
    ).json<{ t: string; n: string }>();
    for (const c of counts) clickhouse.tables[c.t] = Number(c.n);
    const [last] = await (await ch.query({ query: 'SELECT toUInt32(max(ingested_at)) AS t FROM cdrs', format: 'JSONEachRow' })).json<{ t: number }>();
    clickhouse.last_ingested_at = last && Number(last.t) > 0 ? new Date(Number(last.t) * 1000).toISOString() : null;
    clickhouse.reachable = true;
    rollups = await rollupsStatus(ch, deps.config.ANALYTICS_ROLLUP_INTERVAL_MS);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (clickhouse.reachable) rollups.error = message;
    else clickhouse.error = message;
  } finally {
    await ch.close();
  }
  const review: Record<string, number> = {};
  const grouped: { status: string; n: string }[] = await deps.db('review_items').select('status').count({ n: '*' }).groupBy('status');
  for (const r of grouped) review[r.status] = Number(r.n);
  return { consumers, clickhouse, rollups, review_items: review };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { json: { type: 'boolean' } });
  return withDeps(async (deps) => {
    const status = await pipelinesStatus(deps);
    if (values.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else {
      const lines = [CONSUMERS_HEADER, ...status.consumers.map(consumerLine)];
      lines.push('');
      lines.push(status.clickhouse.reachable ? `clickhouse: ${Object.entries(status.clickhouse.tables).map(([t, n]) => `${t} ${n}`).join(', ')}; last ingested ${status.clickhouse.last_ingested_at ?? 'never'}` : `clickhouse: unreachable (${status.clickhouse.error})`);
      if (status.clickhouse.reachable) lines.push(rollupsLine(status.rollups, deps.config.ANALYTICS_ROLLUP_INTERVAL_MS));
      lines.push(`review items: ${Object.entries(status.review_items).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return status.consumers.every((c) => c.exists) && status.clickhouse.reachable && !status.rollups.stale ? 0 : 3;
  });
}
