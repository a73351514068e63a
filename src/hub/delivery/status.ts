// Backlog per receiver: messages waiting in its lanes, the age of the oldest one, dead letters.
import type { HubDeps } from '../../deps.ts';
import { partyKey } from '../../bus/subjects.ts';
import { laneName, lanesOf } from './deliveryWorker.ts';

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
