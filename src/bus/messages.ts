// What travels on the OCPI stream: one message per accepted push and receiver. Consumers
// (delivery, clearing booker, analytics ingester) read the same message.
export interface PartyRef {
  country_code: string;
  party_id: string;
}

export type RoutingMode = 'direct' | 'broadcast' | 'open' | 'none';

export interface OcpiPushMessage {
  /** OCPI module id: locations, sessions, cdrs, tariffs, tokens. */
  module: string;
  /** put | patch | post (CDRs) | delete (tariffs). */
  event: 'put' | 'patch' | 'post' | 'delete';
  /** Path below the receiver's module endpoint, e.g. ['NL', 'CPO', 'LOC1', 'EVSE1'] (empty for a CDR POST). */
  path: string[];
  /** Query string to forward as is (e.g. `type=RFID` on tokens), without `?`. */
  query?: string;
  /** The body as accepted (PATCH bodies as sent, not merged). Absent for DELETE. */
  body?: unknown;
  /** The object this push belongs to; pushes with the same key are delivered in order. */
  object_key: string;
  /** The owner that pushed (URL / body country_code and party_id). */
  sender: PartyRef;
  /** Who the receiver sees in OCPI-from-*: the sender (direct, open) or the hub (broadcast). */
  from: PartyRef;
  /** The receiving party; null when the hub could not determine one (kept for clearing/analytics). */
  receiver: PartyRef | null;
  routing: RoutingMode;
  /** The sender's X-Request-ID as it came (logs, traffic): the sender's own, not necessarily unique. */
  request_id: string;
  correlation_id: string;
  /**
   * The hub's id of the accepted push (a UUID, one per push, shared by its receivers' messages):
   * what JetStream deduplicates by, so two pushes that reuse an X-Request-ID are both stored.
   * Absent on messages published before it existed and on those that bring their own dedupe id.
   */
  push_id?: string;
  /** When the hub accepted the push (RFC 3339 UTC). */
  accepted_at: string;
  /**
   * CDRs: the business-rule findings the hub flagged when it accepted this one (also in Postgres
   * cdrs.validation), for analytics (validation_findings). Absent when there are none. Hub-internal:
   * delivery sends the receiver `body` only.
   */
  findings?: PushFinding[];
}

/** One business-rule finding on an accepted object (ocpi/tariffs/validateCdr.ts, without expected/actual). */
export interface PushFinding {
  rule: string;
  severity: 'error' | 'warning';
  /** The field concerned, e.g. `total_cost`. */
  path?: string;
  message: string;
}

/** A message's `findings`: only what analytics stores, and undefined (left out) when there are none. */
export const pushFindings = (findings: readonly PushFinding[]): PushFinding[] | undefined =>
  findings.length > 0 ? findings.map(({ rule, severity, path, message }) => ({ rule, severity, path, message })) : undefined;

/**
 * Nats-Msg-Id: the publish is stored once even when retried after a lost acknowledgement. Keyed by
 * the hub's push_id, never by the sender's X-Request-ID alone: a sender reusing one for a different
 * push within the stream's duplicate window would have that push silently dropped.
 */
export function messageId(message: Pick<OcpiPushMessage, 'module' | 'event' | 'object_key' | 'receiver' | 'request_id' | 'push_id'>): string {
  const receiver = message.receiver ? `${message.receiver.country_code}*${message.receiver.party_id}` : 'none';
  return `${message.module}:${message.event}:${message.object_key}:${receiver}:${message.push_id ?? message.request_id}`;
}
