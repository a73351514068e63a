// Analytics ingestion: accepted OCPI pushes (CDRs, sessions, tariffs, locations) and hub delivery
// facts from JetStream into ClickHouse, in batches, acknowledged only after ClickHouse accepted
// the batch (see ../batchConsumer.ts for batching, overlap, retry and backpressure). A batch is
// parsed, mapped and encoded as TabSeparated in slices — in encoding worker threads when there
// are cores for them, else here between I/O — while the batch before it is being inserted; the
// text is built once and reused if the insert has to be retried.
import { availableParallelism } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { JsMsg } from '@nats-io/jetstream';
import type { HubDeps } from '../../src/deps.ts';
import { runBatchConsumer, streamSequence, type RunningBatchConsumer } from '../batchConsumer.ts';
import { insertTexts } from './sink.ts';
import { concatTexts, type TableText } from './tsv.ts';
import { encodeSlice, sliceOf, type EncodedSlice, type MessageKind } from './encode.ts';
import { createEncodePool, type EncodePool } from './encodePool.ts';

export const INGEST_DURABLE = 'analytics-ingest';
export const TRAFFIC_DURABLE = 'analytics-traffic';

export interface IngestOptions {
  /** Messages per insert (default 20,000: ClickHouse pays per part written, so fewer, bigger inserts). */
  batchSize?: number;
  maxDelayMs?: number;
  /** Batches written at the same time per consumer (default 2). */
  inFlight?: number;
  maxAckPending?: number;
  /**
   * How long JetStream waits for an ack before redelivering (default 60 s). Held batches are kept
   * alive with +WPI every third of it, so a ClickHouse outage longer than this redelivers nothing.
   */
  ackWaitMs?: number;
  /** Encoding worker threads (default: one when the machine has more than one core; 0 encodes in this thread). */
  encodeWorkers?: number;
}

export interface IngestStats {
  /** CDR rows written (a CDR delivered twice is written twice and read once). */
  cdrs: number;
  unmappable: number;
}

export interface RunningIngest {
  stop(): Promise<void>;
  stats(): IngestStats & { batches: number; retries: number; lastError: string | null };
}

const SLICE = 1000;

/** All the ingester keeps of a message until its batch is written (see Hold in ../batchConsumer.ts). */
interface Delivered {
  data: Uint8Array;
  seq: number;
}

const hold = (msg: JsMsg): Delivered => ({ data: msg.data, seq: streamSequence(msg) });
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Encodes a batch slice by slice; unmappable messages are reported and left out. */
async function encodeBatch(kind: MessageKind, messages: Delivered[], pool: EncodePool | null, onUnmappable: (msg: Delivered, reason: string) => void): Promise<{ texts: TableText[]; cdrs: number }> {
  const ingestedAt = Math.floor(Date.now() / 1000);
  const slices: Promise<EncodedSlice>[] = [];
  const starts: number[] = [];
  for (let i = 0; i < messages.length; i += SLICE) {
    if (i > 0) await yieldToIo();
    const slice = sliceOf(kind, messages.slice(i, i + SLICE), ingestedAt);
    starts.push(i);
    const encoded = pool ? pool.encode(slice) : Promise.resolve(encodeSlice(slice));
    encoded.catch(() => undefined); // failures are seen by Promise.all below, not as unhandled while slicing
    slices.push(encoded);
  }
  const encoded = await Promise.all(slices);
  let cdrs = 0;
  encoded.forEach((e, n) => {
    cdrs += e.cdrs;
    for (const u of e.unmappable) onUnmappable(messages[starts[n] + u.index], u.reason);
  });
  return { texts: concatTexts(encoded.map((e) => e.texts)), cdrs };
}

/** A batch handler that encodes once and, when the insert fails, retries with the same text. */
function writer(clickhouse: ClickHouseClient, encode: (messages: Delivered[]) => Promise<{ texts: TableText[]; cdrs: number }>, onWritten: (cdrs: number) => void) {
  const encoded = new WeakMap<Delivered[], { texts: TableText[]; cdrs: number }>();
  return async (messages: Delivered[]) => {
    let batch = encoded.get(messages);
    if (!batch) {
      batch = await encode(messages);
      encoded.set(messages, batch);
    }
    await insertTexts(clickhouse, batch.texts);
    onWritten(batch.cdrs);
  };
}

export async function startIngest(deps: HubDeps, clickhouse: ClickHouseClient, options: IngestOptions = {}): Promise<RunningIngest> {
  const log = deps.log.child({ role: 'pipelines', pipeline: 'ingest' });
  const { subjects } = deps.bus;
  const batchSize = options.batchSize ?? 20_000;
  const maxDelayMs = options.maxDelayMs ?? 250;
  const inFlight = options.inFlight ?? 2;
  // Enough for the batches being written and the one filling; more would only sit in memory.
  const maxAckPending = options.maxAckPending ?? batchSize * (inFlight + 1);
  const ackWaitMs = options.ackWaitMs;
  const totals: IngestStats = { cdrs: 0, unmappable: 0 };
  const workers = options.encodeWorkers ?? (availableParallelism() > 1 ? 1 : 0);
  const pool = workers > 0 ? createEncodePool(workers) : null;
  const onUnmappable = (stream: string) => (msg: Delivered, reason: string) => {
    // A message that can never be stored (not JSON, missing id, bad date) is logged and acknowledged.
    totals.unmappable++;
    log.warn({ stream, seq: msg.seq, reason }, 'message skipped by analytics ingestion');
  };

  let ocpi: RunningBatchConsumer | null = null;
  let traffic: RunningBatchConsumer;
  try {
    ocpi = await runBatchConsumer(
      deps.bus,
      { stream: subjects.streams.ocpi, durable: INGEST_DURABLE, filterSubject: subjects.ocpiAll, batchSize, maxDelayMs, maxAckPending, ackWaitMs, inFlight },
      writer(clickhouse, (messages) => encodeBatch('ocpi', messages, pool, onUnmappable(subjects.streams.ocpi)), (cdrs) => (totals.cdrs += cdrs)),
      log,
      hold,
    );
    traffic = await runBatchConsumer(
      deps.bus,
      { stream: subjects.streams.traffic, durable: TRAFFIC_DURABLE, filterSubject: subjects.traffic('delivery'), batchSize, maxDelayMs, maxAckPending, ackWaitMs, inFlight },
      writer(clickhouse, (messages) => encodeBatch('delivery', messages, pool, onUnmappable(subjects.streams.traffic)), () => undefined),
      log,
      hold,
    );
  } catch (err) {
    await ocpi?.stop();
    await pool?.close();
    throw err;
  }
  const started = { ocpi, traffic };
  return {
    stats: () => {
      const a = started.ocpi.stats();
      const b = started.traffic.stats();
      return { ...totals, batches: a.batches + b.batches, retries: a.retries + b.retries, lastError: a.lastError ?? b.lastError };
    },
    async stop() {
      await Promise.all([started.ocpi.stop(), started.traffic.stop()]);
      await pool?.close();
    },
  };
}
