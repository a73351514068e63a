// The clearing booker: a durable consumer of every CDR on the OCPI stream. Messages are gathered
// into micro-batches (up to BATCH messages or BATCH_WAIT_MS), booked in one transaction, and each
// message is acked only after that transaction committed. Redeliveries book nothing twice
// (bookings are keyed by the CDR's identity). A message that is not a usable CDR (or that the
// database refuses as data) is terminated and logged, never retried: it would fail the same way
// forever. A failed batch is retried message by message, so one bad CDR cannot stall others.
import type { JsMsg } from '@nats-io/jetstream';
import type { HubDeps } from '../deps.ts';
import type { OcpiPushMessage } from '../bus/messages.ts';
import { runConsumer } from '../bus/consume.ts';
import { bookCdrs, InvalidCdrError } from './booking.ts';

const BATCH = 1000;
/** Batches booked at once (each its own transaction). */
const PARALLEL = 3;
const BATCH_WAIT_MS = 20;

type Outcome = 'ack' | 'term' | { nakMs: number };

/** Postgres refusing a value as data (SQLSTATE class 22): it refuses it again on every redelivery. */
const isDataException = (err: unknown) => /^22[0-9A-Z]{3}$/.test(String((err as { code?: unknown } | null)?.code ?? ''));

export interface BookerOptions {
  durable?: string;
  batch?: number;
  concurrency?: number;
}

export async function startBooker(deps: HubDeps, options: BookerOptions = {}): Promise<{ stop(): Promise<void> }> {
  const log = deps.log.child({ role: 'clearing-booker' });
  const batchSize = options.batch ?? BATCH;
  let pending: { message: OcpiPushMessage; resolve: (o: Outcome) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const running = new Set<Promise<void>>();
  const queue: (typeof pending)[] = [];

  const pump = () => {
    while (running.size < PARALLEL && queue.length) {
      const batch = queue.shift()!;
      const task: Promise<void> = bookBatch(batch).finally(() => {
        running.delete(task);
        pump();
      });
      running.add(task);
    }
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    queue.push(batch);
    pump();
  };
  const drained = async () => {
    while (running.size || queue.length) await Promise.allSettled([...running]);
  };

  async function bookBatch(batch: typeof pending) {
    try {
      await bookCdrs(deps.db, batch.map((b) => b.message));
      for (const b of batch) b.resolve('ack');
    } catch (err) {
      if (batch.length === 1) {
        const invalid = err instanceof InvalidCdrError || isDataException(err);
        log.error({ err, cdr: batch[0].message.object_key }, invalid ? 'not a bookable CDR; terminated' : 'booking failed; will retry');
        batch[0].resolve(invalid ? 'term' : { nakMs: 2000 });
        return;
      }
      // Find the culprit: book one by one.
      for (const b of batch) await bookBatch([b]);
    }
  }

  const handler = (msg: JsMsg): Promise<Outcome> => {
    let message: OcpiPushMessage;
    try {
      message = msg.json<OcpiPushMessage>();
    } catch (err) {
      log.error({ err, subject: msg.subject }, 'CDR message is not JSON; terminated');
      return Promise.resolve('term');
    }
    if (message.module !== 'cdrs' || message.event !== 'post') return Promise.resolve('ack');
    return new Promise<Outcome>((resolve) => {
      pending.push({ message, resolve });
      if (pending.length >= batchSize) flush();
      else timer ??= setTimeout(flush, BATCH_WAIT_MS);
    });
  };

  const consumer = await runConsumer(
    deps.bus,
    {
      stream: deps.bus.subjects.streams.ocpi,
      durable: options.durable ?? 'clearing-booker',
      filterSubject: deps.bus.subjects.moduleAll('cdrs'),
      concurrency: options.concurrency ?? batchSize * PARALLEL,
      maxAckPending: (options.concurrency ?? batchSize * PARALLEL) * 2,
      ackWaitMs: 60_000,
    },
    handler,
    log,
  );
  log.info('clearing booker consuming CDRs');
  return {
    async stop() {
      const stopping = consumer.stop();
      flush();
      await drained();
      await stopping;
    },
  };
}
