// Every stream and subject name in one place. A prefix (NATS_STREAM_PREFIX) keeps test runs and
// deployments sharing one NATS apart.
//
//   <p>.ocpi.<module>.<event>.<receiver>.<lane>        accepted pushes, one message per receiver
//   <p>.traffic.<kind>                                  hub traffic facts (deliveries, forwards)
//   <p>.events.<kind>                                   derived events (anomalies, bookings)
//
// <receiver> is the receiving party's key (see partyKey) or `none` when no receiver could be
// determined; <lane> spreads one receiver's objects over ordered lanes (a partition number, the hash
// of the object), except CDRs, which all take the unordered lane `u` (see laneOf).
import { createHash } from 'node:crypto';

export interface Streams {
  ocpi: string;
  traffic: string;
  events: string;
}

export interface SubjectSpace {
  prefix: string;
  streams: Streams;
  ocpiAll: string;
  ocpi(module: string, event: string, receiver: string, lane: Lane): string;
  /** Filter for one receiver's lane, whatever the module and event. */
  receiverLane(receiver: string, lane: Lane): string;
  receiverAll(receiver: string): string;
  moduleAll(module: string): string;
  traffic(kind: string): string;
  trafficAll: string;
  events(kind: string): string;
  eventsAll: string;
}

export function subjectSpace(streamPrefix: string): SubjectSpace {
  const p = streamPrefix.toLowerCase();
  return {
    prefix: p,
    streams: { ocpi: `${streamPrefix}_OCPI`, traffic: `${streamPrefix}_TRAFFIC`, events: `${streamPrefix}_EVENTS` },
    ocpiAll: `${p}.ocpi.>`,
    ocpi: (module, event, receiver, lane) => `${p}.ocpi.${module}.${event}.${receiver}.${lane}`,
    receiverLane: (receiver, lane) => `${p}.ocpi.*.*.${receiver}.${lane}`,
    receiverAll: (receiver) => `${p}.ocpi.*.*.${receiver}.*`,
    moduleAll: (module) => `${p}.ocpi.${module}.>`,
    traffic: (kind) => `${p}.traffic.${kind}`,
    trafficAll: `${p}.traffic.>`,
    events: (kind) => `${p}.events.${kind}`,
    eventsAll: `${p}.events.>`,
  };
}

export const NO_RECEIVER = 'none';

/**
 * A party as a subject token: country code and party id, upper-cased, with anything that is not
 * a letter or digit hex-escaped (CiString allows `.`, `*` and `>`, which NATS gives meaning to).
 */
export function partyKey(countryCode: string, partyId: string): string {
  const raw = `${countryCode}\n${partyId}`;
  let key = partyKeys.get(raw);
  if (key === undefined) {
    if (partyKeys.size >= 10_000) partyKeys.clear();
    key = `${escapeToken(countryCode)}-${escapeToken(partyId)}`;
    partyKeys.set(raw, key);
  }
  return key;
}

// Every push and delivery asks for a few keys over and over: remembered.
const partyKeys = new Map<string, string>();
const escapeToken = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** A partition number (ordered lane) or UNORDERED_LANE. */
export type Lane = number | typeof UNORDERED_LANE;

/**
 * CDRs are immutable and each is its own object: there is no order among them to keep, so a
 * receiver's CDRs share one lane that many deliveries work at once (an ordered lane holds one
 * message in flight, which costs JetStream an acknowledgement round trip per message).
 */
export const UNORDERED_LANE = 'u';

/** The lane of a push: CDRs unordered, anything else the ordered lane of its object. */
export function laneOf(module: string, objectKey: string, partitions: number): Lane {
  return module === 'cdrs' ? UNORDERED_LANE : partitionOf(objectKey, partitions);
}

/** Objects of one key always land in the same lane, so they are delivered in order. */
export function partitionOf(objectKey: string, partitions: number): number {
  return createHash('sha1').update(objectKey).digest().readUInt32BE(0) % partitions;
}
