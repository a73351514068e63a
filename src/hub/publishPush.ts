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
