// A durable JetStream pull consumer that hands messages to its handler in batches: a batch is
// flushed when it reaches `batchSize` messages or `maxDelayMs` after its first message arrived.
// Up to `inFlight` batches are handled at once, so the next batch is parsed and mapped while the
// previous one is still being written; each batch is acknowledged, message by message, only after
// its own handler resolved. (JetStream's AckAll would be one ack per batch, but it acknowledges
// every lower sequence delivered to the consumer: the batch before, still being written, and the
// messages another ingester process holds, which a crash would then lose.) When the handler throws (ClickHouse slow or down), the same batch is
// retried with backoff while the held messages are kept alive with +WPI (`working()`), so nothing is
// redelivered elsewhere and nothing is lost; the server stops sending once `maxAckPending`
// messages are held — that is the backpressure. A redelivery the handler sees twice must be
// harmless (the sinks are idempotent).
import type { JsMsg } from '@nats-io/jetstream';
import type { Bus } from '../src/bus/nats.ts';
import { ensureConsumer } from '../src/bus/consume.ts';
import type { Logger } from '../src/logger.ts';

export interface BatchConsumerSpec {
  stream: string;
  durable: string;
  filterSubject: string;
  batchSize: number;
  maxDelayMs: number;
  /** Unacknowledged messages the server lets this consumer hold (all processes together). */
  maxAckPending: number;
  ackWaitMs?: number;
  /** Batches handled at the same time in this process (default 1: one after the other). */
  inFlight?: number;
}

/** Gets what `hold` kept of each message of the batch, in delivery order (the same array on every retry). */
export type BatchHandler<T = JsMsg> = (messages: T[]) => Promise<void>;

/**
 * What the consumer keeps of a message until its batch is acknowledged (default: the message).
 * Messages wait for their batch for many young-generation collections, and each message nats.js
 * delivers is a dozen objects, all copied to the old generation and marked there; keeping only
 * what the handler needs (the reply subject is kept apart for acknowledging) makes that cheaper.
 */
export type Hold<T> = (msg: JsMsg) => T;

export interface RunningBatchConsumer {
  stop(): Promise<void>;
  /** Batches handled, retries so far (for tests and status). */
  stats(): { batches: number; messages: number; retries: number; lastError: string | null };
}

const PULL_MAX = 4000;

/** The part of nats.js's protocol handler `acknowledge` writes through (not in its public types). */
interface ProtocolWriter {
  sendCommand(command: string): void;
}

const ACKS_PER_WRITE = 1024;
const ACK = new TextEncoder().encode('+ACK');
const NAK = new TextEncoder().encode('-NAK');
const WORKING = new TextEncoder().encode('+WPI');

/**
 * Acknowledges every message of a batch by its reply subject, each with its own +ACK as
 * `msg.ack()` would send it, but written as one block of protocol lines per thousand messages:
 * `msg.ack()` builds, encodes and queues a line per message, which costs more than the rest of a
 * message's handling in this process bar parsing. Falls back to publishing each +ACK when the
 * client does not expose its protocol handler or a subject cannot go into a PUB line as is.
 */
export function acknowledge(bus: Bus, replies: readonly string[]): void {
  const protocol = (bus.nc as unknown as { protocol?: Partial<ProtocolWriter> }).protocol;
  // Closed or draining, the connection sends nothing more: the messages are redelivered later
  // (as when `msg.ack()` was queued on a closing connection); nothing to gain by writing lines.
  if (typeof protocol?.sendCommand !== 'function' || bus.nc.isClosed() || bus.nc.isDraining()) {
    reply(bus, replies, ACK);
    return;
  }
  let lines = '';
  let count = 0;
  for (const subject of replies) {
    if (!isAckSubject(subject)) {
      reply(bus, [subject], ACK);
      continue;
    }
    lines += `PUB ${subject} 4\r\n+ACK\r\n`;
    if (++count === ACKS_PER_WRITE) {
      protocol.sendCommand(lines);
      lines = '';
      count = 0;
    }
  }
  if (count > 0) protocol.sendCommand(lines);
}

/**
 * Sends `payload` to each reply subject, as `msg.ack()`, `msg.nak()`, `msg.working()` would, and
 * like them never throws: on a closed or draining connection (where publish throws) the server
 * redelivers the messages once their ack wait is over, which is harmless (see the top).
 */
function reply(bus: Bus, replies: readonly string[], payload: Uint8Array): void {
  for (const subject of replies) {
    if (!subject) continue;
    try {
      bus.nc.publish(subject, payload);
    } catch {
      return;
    }
  }
}

/** The reply subject nats.js's JetStream messages carry (not in the public JsMsg type); '' when absent. */
const replyOf = (msg: JsMsg): string => {
  const reply = (msg as JsMsg & { reply?: unknown }).reply;
  return typeof reply === 'string' ? reply : '';
};

/** A reply subject that can go into a PUB line as is. */
const isAckSubject = (reply: string): boolean => reply.startsWith('$JS.ACK.') && !/[\s]/.test(reply);

/**
 * The stream sequence of a JetStream message, read from its reply subject without building the
 * delivery info object `msg.seq` parses (twelve strings and an object per message). The subject
 * is `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…` (9 tokens) or, with domain and
 * account hash, `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<stream seq>.…` (11 or
 * more); anything else goes to `msg.seq`.
 */
export function streamSequence(msg: JsMsg): number {
  const reply = replyOf(msg);
  const dots: number[] = [];
  for (let i = reply.indexOf('.'); i !== -1; i = reply.indexOf('.', i + 1)) dots.push(i);
  const tokens = dots.length + 1;
  const at = tokens === 9 ? 5 : tokens >= 11 ? 7 : -1;
  if (at < 0 || !reply.startsWith('$JS.ACK.')) return msg.seq;
  let seq = 0;
  for (let i = dots[at - 1] + 1; i < dots[at]; i++) {
    const d = reply.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return msg.seq;
    seq = seq * 10 + d;
  }
  return dots[at] - dots[at - 1] > 1 ? seq : msg.seq;
}


/**
 * How often held messages get their +WPI: three times per ack wait, so one late or lost
 * keep-alive still leaves a margin before the server would redeliver.
 */
export function keepAliveEveryMs(ackWaitMs: number): number {
  return Math.max(50, Math.floor(ackWaitMs / 3));
}

/** Messages held together: what `hold` kept of each, and their reply subjects, index by index. */
interface Held<T> {
  items: T[];
  replies: string[];
}

export async function runBatchConsumer<T = JsMsg>(bus: Bus, spec: BatchConsumerSpec, handler: BatchHandler<T>, log: Logger, hold: Hold<T> = (msg) => msg as T): Promise<RunningBatchConsumer> {
  const ackWaitMs = spec.ackWaitMs ?? 60_000;
  await ensureConsumer(bus, {
    stream: spec.stream,
    durable: spec.durable,
    filterSubject: spec.filterSubject,
    concurrency: 1,
    maxAckPending: spec.maxAckPending,
    ackWaitMs,
  });
  const consumer = await bus.js.consumers.get(spec.stream, spec.durable);
  const inFlightMax = Math.max(1, spec.inFlight ?? 1);
  const buffer: Held<T> = { items: [], replies: [] };
  const held = new Set<Held<T>>();
  const running = new Set<Promise<void>>();
  let firstArrival = 0;
  let stopping = false;
  // Resolves when stop() is called: a batch waiting to retry gives up at once then.
  let stopped!: () => void;
  const stopCalled = new Promise<void>((resolve) => (stopped = resolve));
  const untilStopOr = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void stopCalled.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  let wake: (() => void) | null = null;
  const stats = { batches: 0, messages: 0, retries: 0, lastError: null as string | null };
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  // Pulled a few thousand at a time: a bigger pull queues megabytes on the connection ahead of
  // this process's other requests (acks, JetStream API calls) without making ingestion faster.
  // A callback rather than the async iterator: no promise and microtask per message.
  const messages = await consumer.consume({
    max_messages: Math.min(Math.max(spec.batchSize, 64), PULL_MAX, spec.maxAckPending),
    callback: (msg) => {
      if (buffer.items.length === 0) firstArrival = Date.now();
      buffer.items.push(hold(msg));
      buffer.replies.push(replyOf(msg));
      if (buffer.items.length >= spec.batchSize) signal();
    },
  });

  const reader = messages.closed().then(
    (err) => {
      if (err) log.error({ err, consumer: spec.durable }, 'consumer stopped');
    },
    (err) => log.error({ err, consumer: spec.durable }, 'consumer failed'),
  );

  // Keeps held messages from being redelivered while a slow or failing batch is retried.
  const keepAlive = setInterval(() => {
    for (const batch of held) reply(bus, batch.replies, WORKING);
    reply(bus, buffer.replies, WORKING);
  }, keepAliveEveryMs(ackWaitMs));

  const handle = async (batch: Held<T>) => {
    held.add(batch);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await handler(batch.items);
          acknowledge(bus, batch.replies);
          stats.batches++;
          stats.messages += batch.items.length;
          stats.lastError = null;
          return;
        } catch (err) {
          stats.retries++;
          stats.lastError = err instanceof Error ? err.message : String(err);
          if (stopping) {
            // Unacknowledged, the messages go to the next ingester: nothing is lost by not waiting.
            log.warn({ err, consumer: spec.durable, messages: batch.items.length }, 'batch not written before stop; left for redelivery');
            abandoned = true;
            reply(bus, batch.replies, NAK);
            return;
          }
          const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
          log.warn({ err, consumer: spec.durable, messages: batch.items.length, attempt, retryInMs: delay }, 'batch failed; holding it and retrying');
          await untilStopOr(delay);
        }
      }
    } finally {
      held.delete(batch);
    }
  };

  // Set when a write failed during stop: the rest of the buffer is handed back unwritten too.
  let abandoned = false;
  const flusher = (async () => {
    while (!stopping || buffer.items.length > 0) {
      if (stopping && abandoned) {
        reply(bus, buffer.replies.splice(0), NAK);
        buffer.items.length = 0;
        break;
      }
      if (buffer.items.length < spec.batchSize) {
        const waitMs = buffer.items.length === 0 ? 1000 : Math.max(0, firstArrival + spec.maxDelayMs - Date.now());
        if (waitMs > 0 && !stopping) await nap(waitMs);
        if (buffer.items.length === 0) continue;
        if (buffer.items.length < spec.batchSize && Date.now() < firstArrival + spec.maxDelayMs && !stopping) continue;
      }
      // A free slot first: while every slot is busy, messages keep arriving into the buffer (up
      // to maxAckPending) and the next batch is cut when a slot frees.
      if (running.size >= inFlightMax) {
        await Promise.race(running);
        continue;
      }
      const batch: Held<T> = { items: buffer.items.splice(0, spec.batchSize), replies: buffer.replies.splice(0, spec.batchSize) };
      if (buffer.items.length > 0) firstArrival = Date.now();
      const done = handle(batch)
        .catch((err) => log.error({ err, consumer: spec.durable }, 'batch handling failed'))
        .finally(() => running.delete(done));
      running.add(done);
    }
    await Promise.all(running);
  })();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      stopped();
      await messages.close().catch(() => undefined);
      await reader;
      signal();
      await flusher;
      clearInterval(keepAlive);
    },
  };
}
