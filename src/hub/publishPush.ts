// Appends accepted pushes to the OCPI stream, one message per receiver, and waits for JetStream
// to confirm each one: only then may the sender hear 1000.
import type { HubDeps } from '../deps.ts';
import { messageId, type OcpiPushMessage } from '../bus/messages.ts';
import { NO_RECEIVER, laneOf, partyKey } from '../bus/subjects.ts';

export async function publishPush(deps: HubDeps, messages: OcpiPushMessage[], dedupeKey?: (m: OcpiPushMessage) => string): Promise<void> {
  const { bus, config } = deps;
  await Promise.all(
    messages.map((message) => {
      const receiver = message.receiver ? partyKey(message.receiver.country_code, message.receiver.party_id) : NO_RECEIVER;
      const subject = bus.subjects.ocpi(message.module, message.event, receiver, laneOf(message.module, message.object_key, config.DELIVERY_PARTITIONS));
      return bus.publish(subject, JSON.stringify(message), dedupeKey ? dedupeKey(message) : messageId(message));
    }),
  );
}

/** The object key of a CDR: each CDR is its own object, named by its owner and id. */
export const cdrObjectKey = (countryCode: string, partyId: string, cdrId: string) => `cdrs:${partyKey(countryCode, partyId)}:${cdrId}`;

/**
 * Nats-Msg-Id of a CDR: one per CDR and receiver, whoever publishes it (the POST, a duplicate POST,
 * the outbox sweeper), so JetStream stores a CDR published twice within its duplicate window once.
 */
export const cdrMessageId = (m: Pick<OcpiPushMessage, 'object_key' | 'receiver'>) => `cdrs:${m.object_key}:${m.receiver ? partyKey(m.receiver.country_code, m.receiver.party_id) : NO_RECEIVER}`;
