// A durable JetStream pull consumer that hands messages to its handler in batches: a batch is
// flushed when it reaches `batchSize` messages or `maxDelayMs` after its first message arrived.
// Up to `inFlight` batches are handled at once, so the next batch is parsed and mapped while the
// previous one is still being written; each batch is acknowledged, message by message, only after
// its own handler resolved. (JetStream's AckAll would be one ack per batch, but it acknowledges
// every lower sequence delivered to the consumer: the batch before, still being written, and the
// messages another ingester process holds, which a crash would then lose.) When the handler throws (ClickHouse slow or down), the same batch is
// retried with backoff while the held messages are kept alive with `working()`, so nothing is
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

export type BatchHandler = (messages: JsMsg[]) => Promise<void>;

export interface RunningBatchConsumer {
  stop(): Promise<void>;
  /** Batches handled, retries so far (for tests and status). */
  stats(): { batches: number; messages: number; retries: number; lastError: string | null };
}

const PULL_MAX = 4000;


export async function runBatchConsumer(bus: Bus, spec: BatchConsumerSpec, handler: BatchHandler, log: Logger): Promise<RunningBatchConsumer> {
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
  // Pulled a few thousand at a time: a bigger pull queues megabytes on the connection ahead of
  // this process's other requests (acks, JetStream API calls) without making ingestion faster.
  const messages = await consumer.consume({ max_messages: Math.min(Math.max(spec.batchSize, 64), PULL_MAX, spec.maxAckPending) });

  const inFlightMax = Math.max(1, spec.inFlight ?? 1);
  const buffer: JsMsg[] = [];
  const held = new Set<JsMsg[]>();
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

  const reader = (async () => {
    for await (const msg of messages) {
      if (buffer.length === 0) firstArrival = Date.now();
      buffer.push(msg);
      if (buffer.length >= spec.batchSize) signal();
    }
  })().catch((err) => log.error({ err, consumer: spec.durable }, 'consumer iterator failed'));

  // Keeps held messages from being redelivered while a slow or failing batch is retried.
  const keepAlive = setInterval(() => {
    for (const batch of held) for (const m of batch) m.working();
    for (const m of buffer) m.working();
  }, Math.max(1000, Math.floor(ackWaitMs / 3)));

  const handle = async (batch: JsMsg[]) => {
    held.add(batch);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await handler(batch);
          for (const m of batch) m.ack();
          stats.batches++;
          stats.messages += batch.length;
          stats.lastError = null;
          return;
        } catch (err) {
          stats.retries++;
          stats.lastError = err instanceof Error ? err.message : String(err);
          if (stopping) {
            // Unacknowledged, the messages go to the next ingester: nothing is lost by not waiting.
            log.warn({ err, consumer: spec.durable, messages: batch.length }, 'batch not written before stop; left for redelivery');
            abandoned = true;
            for (const m of batch) m.nak();
            return;
          }
          const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
          log.warn({ err, consumer: spec.durable, messages: batch.length, attempt, retryInMs: delay }, 'batch failed; holding it and retrying');
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
    while (!stopping || buffer.length > 0) {
      if (stopping && abandoned) {
        for (const m of buffer.splice(0)) m.nak();
        break;
      }
      if (buffer.length < spec.batchSize) {
        const waitMs = buffer.length === 0 ? 1000 : Math.max(0, firstArrival + spec.maxDelayMs - Date.now());
        if (waitMs > 0 && !stopping) await nap(waitMs);
        if (buffer.length === 0) continue;
        if (buffer.length < spec.batchSize && Date.now() < firstArrival + spec.maxDelayMs && !stopping) continue;
      }
      // A free slot first: while every slot is busy, messages keep arriving into the buffer (up
      // to maxAckPending) and the next batch is cut when a slot frees.
      if (running.size >= inFlightMax) {
        await Promise.race(running);
        continue;
      }
      const batch = buffer.splice(0, spec.batchSize);
      if (buffer.length > 0) firstArrival = Date.now();
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
