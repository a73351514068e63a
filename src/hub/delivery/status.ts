// Backlog per receiver: messages waiting in its lanes, the age of the oldest one, dead letters.
// Beside it, for the operator (deliveryOverview): the results (CommandResult, charging profile
// results) on their way to each requester, which the hub relays from Postgres (callback_relays)
// rather than through the lanes.
import type { HubDeps } from '../../deps.ts';
import { partyKey } from '../../bus/subjects.ts';
import { laneName, lanesOf } from './deliveryWorker.ts';
import { resultsByRequester, type RequesterResults } from '../commands/resultRelays.ts';

export interface ReceiverBacklog {
  receiver: string;
  status: string;
  pending: number;
  oldest_age_s: number | null;
  dead_letters: number;
}

export async function deliveryStatus(deps: HubDeps): Promise<ReceiverBacklog[]> {
  const { jsm, subjects } = deps.bus;
  const parties = (await deps.directory.all()).filter((p) => [...p.interfaces].some((i) => i.endsWith(':RECEIVER')));
  const dead = await deps.db('dead_letters').whereNull('replayed_at').groupBy('receiver').select('receiver').count<{ receiver: string; count: string }[]>('* as count');
  const deadBy = new Map(dead.map((d) => [d.receiver, Number(d.count)]));
  const seen = new Set<string>();
  const result: ReceiverBacklog[] = [];
  for (const party of parties) {
    const receiver = partyKey(party.country_code, party.party_id);
    if (seen.has(receiver)) continue;
    seen.add(receiver);
    let pending = 0;
    let oldest: number | null = null;
    for (const lane of lanesOf(deps.config.DELIVERY_PARTITIONS)) {
      const info = await jsm.consumers.info(subjects.streams.ocpi, laneName(receiver, lane)).catch(() => undefined);
      if (!info) continue;
      const waiting = info.num_pending + info.num_ack_pending;
      pending += waiting;
      if (waiting === 0) continue;
      const first = await jsm.direct
        .getMessage(subjects.streams.ocpi, { seq: info.ack_floor.stream_seq + 1, next_by_subj: subjects.receiverLane(receiver, lane) })
        .catch(() => null);
      if (first) oldest = Math.min(oldest ?? Infinity, first.time.getTime());
    }
    result.push({ receiver, status: party.status, pending, oldest_age_s: oldest === null ? null : Math.round((Date.now() - oldest) / 1000), dead_letters: deadBy.get(receiver) ?? 0 });
  }
  return result;
}

export interface DeliveryStatusRow extends ReceiverBacklog {
  /** Results waiting to be relayed to it (it asked for them) and the age of the oldest one. */
  results_pending: number;
  results_oldest_age_s: number | null;
  /** Results the hub stopped relaying to it at CALLBACK_RELAY_HORIZON_S. */
  results_given_up: number;
  /** Results it refused with its own OCPI 2xxx. */
  results_refused: number;
}

const resultColumns = (r: RequesterResults | undefined) => ({
  results_pending: r?.pending ?? 0,
  results_oldest_age_s: r?.oldest_age_s ?? null,
  results_given_up: r?.given_up ?? 0,
  results_refused: r?.refused ?? 0,
});

/**
 * Each receiver's backlog with its results beside it (pure). A requester without a row of its own
 * (it receives no pushes, or its platform left since it asked) gets one with an empty backlog, so
 * no result waits or is given up unseen.
 */
export function withResults(backlog: readonly ReceiverBacklog[], results: readonly RequesterResults[], statusOf: (key: string) => string): DeliveryStatusRow[] {
  const byRequester = new Map(results.map((r) => [r.requester, r]));
  const listed = new Set(backlog.map((b) => b.receiver));
  return [
    ...backlog.map((b) => ({ ...b, ...resultColumns(byRequester.get(b.receiver)) })),
    ...results.filter((r) => !listed.has(r.requester)).map((r) => ({ receiver: r.requester, status: statusOf(r.requester), pending: 0, oldest_age_s: null, dead_letters: 0, ...resultColumns(r) })),
  ];
}

/** What `hub deliveries status` and the admin API show: pushes and results, per party. */
export async function deliveryOverview(deps: HubDeps): Promise<DeliveryStatusRow[]> {
  const [backlog, results, parties] = await Promise.all([deliveryStatus(deps), resultsByRequester(deps.db), deps.directory.all()]);
  return withResults(backlog, results, (key) => parties.find((p) => partyKey(p.country_code, p.party_id) === key)?.status ?? 'UNKNOWN');
}
