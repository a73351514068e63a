// The NATS connection, JetStream handles and the streams the hub needs.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import { subjectSpace, type SubjectSpace } from './subjects.ts';
import { JetStreamPublisher, type PubAck } from './publisher.ts';

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: SubjectSpace;
  /** Appends to a stream and waits for its acknowledgement; `msgId` makes a retried publish harmless. */
  publish(subject: string, data: string | Uint8Array, msgId: string): Promise<PubAck>;
  close(): Promise<void>;
}

const DAY_NS = 24 * 60 * 60 * 1e9;

/**
 * Days the OCPI stream keeps a message: the delivery horizon plus a week. A message is only turned
 * into a dead letter (Postgres, replayable) when a worker handles it past the horizon, and that can
 * come well after the horizon itself: a receiver's backoff or Retry-After of up to an hour, workers
 * down over a long weekend, a lane opened late. A stream that deleted messages a day after the
 * horizon lost them in such gaps with nothing logged and nothing to replay (CDRs already marked
 * published, so the outbox sweeper does not send them again); a week beyond it leaves that time.
 */
export const OCPI_STREAM_MARGIN_DAYS = 7;

export function ocpiStreamMaxAgeDays(deliveryHorizonHours: number): number {
  return Math.ceil(deliveryHorizonHours / 24) + OCPI_STREAM_MARGIN_DAYS;
}

export interface StreamOptions {
  /** Replicas per stream: 1 on a single server, 3 on a cluster. */
  replicas: number;
  /** How long accepted pushes stay in the stream: comfortably longer than the delivery horizon (ocpiStreamMaxAgeDays). */
  ocpiMaxAgeDays: number;
}

export async function connectBus(url: string, streamPrefix: string, name: string): Promise<Bus> {
  // noAsyncTraces: without it every request (each JetStream publish) builds two Error objects with
  // stack traces up front, a measurable share of the accept path's CPU; errors still carry a cause.
  const nc = await connect({ servers: url.split(','), name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const publisher = new JetStreamPublisher(nc);
  return {
    nc,
    js: jetstream(nc),
    jsm,
    subjects: subjectSpace(streamPrefix),
    publish: (subject, data, msgId) => publisher.publish(subject, data, msgId),
    async close() {
      publisher.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}

/**
 * Creates or updates the streams. Safe to run from every process at start-up; an existing stream
 * takes the current settings (a longer max_age included) at the next start.
 */
export async function ensureStreams(bus: Bus, options: StreamOptions): Promise<void> {
  const { streams } = bus.subjects;
  const definitions = [
    { name: streams.ocpi, subjects: [bus.subjects.ocpiAll], max_age: (options.ocpiMaxAgeDays * DAY_NS) },
    { name: streams.traffic, subjects: [bus.subjects.trafficAll], max_age: 14 * DAY_NS },
    { name: streams.events, subjects: [bus.subjects.eventsAll], max_age: 30 * DAY_NS },
  ];
  for (const d of definitions) {
    const config = {
      name: d.name,
      subjects: d.subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: d.max_age,
      num_replicas: options.replicas,
      // Publish dedupe on Nats-Msg-Id: a retried publish after a lost PubAck is stored once.
      duplicate_window: 2 * 60 * 1e9,
      // Direct get lets `hub deliveries status` read the oldest pending message of a lane.
      allow_direct: true,
    };
    try {
      await bus.jsm.streams.info(d.name);
      await bus.jsm.streams.update(d.name, config);
    } catch {
      await bus.jsm.streams.add(config);
    }
  }
}

export async function deleteStreams(bus: Bus): Promise<void> {
  for (const name of Object.values(bus.subjects.streams)) await bus.jsm.streams.delete(name).catch(() => false);
}
