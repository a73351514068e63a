// Publishes CDRs onto the OCPI stream as the routing layer does (one OcpiPushMessage per CDR,
// subject cdrs.post.<receiver>.<partition>), so clearing works end to end without routing.
import { randomUUID } from 'node:crypto';
import type { HubDeps } from '../deps.ts';
import type { OcpiPushMessage, PartyRef } from '../bus/messages.ts';
import { NO_RECEIVER, laneOf, partyKey } from '../bus/subjects.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export interface ImportOptions {
  sender?: PartyRef;
  /** The eMSP; by default the CDR token's issuer. */
  receiver?: PartyRef | null;
  onProgress?: (done: number, total: number) => void;
  /** Publishes in flight at once. */
  window?: number;
}

export function cdrPushMessage(cdr: Record<string, any>, sender: PartyRef | undefined, receiver: PartyRef | null): OcpiPushMessage {
  const owner = sender ?? { country_code: String(cdr.country_code), party_id: String(cdr.party_id) };
  const requestId = randomUUID();
  return {
    module: 'cdrs',
    event: 'post',
    path: [],
    body: cdr,
    object_key: `${cdr.country_code}*${cdr.party_id}*${cdr.id}`,
    sender: owner,
    from: owner,
    receiver,
    routing: receiver ? 'direct' : 'none',
    request_id: requestId,
    correlation_id: requestId,
    accepted_at: new Date().toISOString(),
  };
}

export async function importCdrs(deps: HubDeps, cdrs: Record<string, any>[], options: ImportOptions = {}): Promise<{ published: number; duplicates: number }> {
  let published = 0;
  let duplicates = 0;
  const window = options.window ?? 256;
  const inFlight = new Set<Promise<void>>();
  for (const cdr of cdrs) {
    // Without --receiver, the eMSP is the party that issued the token (what routing would decide).
    const token = cdr.cdr_token as { country_code?: string; party_id?: string } | undefined;
    const receiver = options.receiver !== undefined ? options.receiver : token?.country_code && token?.party_id ? { country_code: token.country_code, party_id: token.party_id } : null;
    const message = cdrPushMessage(cdr, options.sender, receiver);
    // Dedupe key: the CDR's identity (a re-import within the stream's window is stored once), its
    // id a CiString: CDR1 imported again as cdr1 is the same CDR.
    const identity = `${String(cdr.country_code).toUpperCase()}*${String(cdr.party_id).toUpperCase()}*${ciKey(String(cdr.id))}`;
    const msgID = `cdr:${identity}:${receiver ? `${receiver.country_code}*${receiver.party_id}` : 'none'}`;
    const subject = deps.bus.subjects.ocpi('cdrs', 'post', receiver ? partyKey(receiver.country_code, receiver.party_id) : NO_RECEIVER, laneOf('cdrs', message.object_key, deps.config.DELIVERY_PARTITIONS));
    const task = deps.bus.publish(subject, JSON.stringify(message), msgID).then((ack) => {
      if (ack.duplicate) duplicates += 1;
      else published += 1;
      options.onProgress?.(published + duplicates, cdrs.length);
    });
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { published, duplicates };
}
