// Analytics ingestion: accepted OCPI pushes (CDRs, sessions, tariffs, locations) and hub delivery
// facts from JetStream into ClickHouse, in batches, acknowledged only after ClickHouse accepted
// the batch (see ../batchConsumer.ts for batching, retry and backpressure).
import type { ClickHouseClient } from '@clickhouse/client';
import type { JsMsg } from '@nats-io/jetstream';
import type { HubDeps } from '../../src/deps.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { runBatchConsumer, type RunningBatchConsumer } from '../batchConsumer.ts';
import { writeRows } from './sink.ts';
import { addOcpiMessage, deliveryRow, emptyRows, UnmappableMessage, type DeliveryFact, type Envelope, type Rows } from './transform.ts';

export const INGEST_DURABLE = 'analytics-ingest';
export const TRAFFIC_DURABLE = 'analytics-traffic';

export interface IngestOptions {
  batchSize?: number;
  maxDelayMs?: number;
  maxAckPending?: number;
}

export interface IngestStats {
  cdrs: number;
  duplicateCdrs: number;
  unmappable: number;
}

export interface RunningIngest {
  stop(): Promise<void>;
  stats(): IngestStats & { batches: number; retries: number; lastError: string | null };
}

function mapBatch(messages: JsMsg[], add: (rows: Rows, msg: JsMsg, env: Envelope) => void, onUnmappable: (msg: JsMsg, err: unknown) => void): Rows {
  const rows = emptyRows();
  const ingestedAt = Math.floor(Date.now() / 1000);
  for (const msg of messages) {
    try {
      add(rows, msg, { seq: msg.seq, ingestedAt });
    } catch (err) {
      onUnmappable(msg, err);
    }
  }
  return rows;
}

export async function startIngest(deps: HubDeps, clickhouse: ClickHouseClient, options: IngestOptions = {}): Promise<RunningIngest> {
  const log = deps.log.child({ role: 'pipelines', pipeline: 'ingest' });
  const { subjects } = deps.bus;
  const batchSize = options.batchSize ?? 5000;
  const maxDelayMs = options.maxDelayMs ?? 250;
  const maxAckPending = options.maxAckPending ?? batchSize * 4;
  const totals: IngestStats = { cdrs: 0, duplicateCdrs: 0, unmappable: 0 };
  const onUnmappable = (msg: JsMsg, err: unknown) => {
    // A message that can never be stored (not JSON, missing id, bad date) is logged and acknowledged.
    if (!(err instanceof UnmappableMessage) && !(err instanceof SyntaxError)) throw err;
    totals.unmappable++;
    log.warn({ subject: msg.subject, seq: msg.seq, reason: (err as Error).message }, 'message skipped by analytics ingestion');
  };

  const ocpi = await runBatchConsumer(
    deps.bus,
    { stream: subjects.streams.ocpi, durable: INGEST_DURABLE, filterSubject: subjects.ocpiAll, batchSize, maxDelayMs, maxAckPending },
    async (messages) => {
      const rows = mapBatch(messages, (r, m, env) => addOcpiMessage(r, m.json<OcpiPushMessage>(), env), onUnmappable);
      const written = await writeRows(clickhouse, rows);
      totals.cdrs += written.cdrs;
      totals.duplicateCdrs += written.duplicateCdrs;
    },
    log,
  );
  const traffic = await runBatchConsumer(
    deps.bus,
    { stream: subjects.streams.traffic, durable: TRAFFIC_DURABLE, filterSubject: subjects.traffic('delivery'), batchSize, maxDelayMs, maxAckPending },
    async (messages) => {
      const rows = mapBatch(messages, (r, m, env) => r.deliveries.push(deliveryRow(m.json<DeliveryFact>(), env)), onUnmappable);
      await writeRows(clickhouse, rows);
    },
    log,
  );
  return {
    stats: () => {
      const a = ocpi.stats();
      const b = traffic.stats();
      return { ...totals, batches: a.batches + b.batches, retries: a.retries + b.retries, lastError: a.lastError ?? b.lastError };
    },
    async stop() {
      await Promise.all([ocpi.stop(), traffic.stop()]);
    },
  };
}
