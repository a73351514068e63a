// Benchmark: analytics ingestion NATS JetStream → ClickHouse in CDRs per second, measured beside a
// direct bulk insert of the same rows into the same tables in the same run. Uses its own ClickHouse
// databases and stream prefix and removes them afterwards.
//
//   node --import tsx scripts/bench-ingest.ts [--cdrs 100000] [--batch 5000]
//
// Prints one JSON line per figure: {name, value, unit, baseline, ratio, target}.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Config } from '../src/config.ts';
import { buildDeps, closeDeps } from '../src/bootstrap.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../src/store/clickhouse.ts';
import { deleteStreams } from '../src/bus/nats.ts';
import { partitionOf, partyKey } from '../src/bus/subjects.ts';
import type { OcpiPushMessage } from '../src/bus/messages.ts';
import { createLogger } from '../src/logger.ts';
import { cliConfig } from '../src/cli/localConfig.ts';
import { generate } from '../pipelines/evaluate/generator.ts';
import { isolatedConfig } from '../pipelines/evaluate/run.ts';
import { startIngest, INGEST_DURABLE } from '../pipelines/ingest/index.ts';
import { addOcpiMessage, emptyRows } from '../pipelines/ingest/transform.ts';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: number | null;
}

export interface BenchOptions {
  cdrs?: number;
  batchSize?: number;
  config?: Config;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function messages(count: number): OcpiPushMessage[] {
  const base = generate({ seed: 7, cdrs: Math.min(count, 5000), todayMs: Date.now(), anomalyRate: 0 }).cdrs.map((g) => g.cdr);
  const acceptedAt = new Date().toISOString();
  const out: OcpiPushMessage[] = [];
  for (let i = 0; i < count; i++) {
    const cdr: Record<string, any> = { ...base[i % base.length], id: `B${String(i).padStart(10, '0')}` };
    const party = { country_code: cdr.country_code, party_id: cdr.party_id };
    out.push({ module: 'cdrs', event: 'post', path: [], body: cdr, object_key: `cdrs:${cdr.country_code}*${cdr.party_id}*${cdr.id}`, sender: party, from: party, receiver: { country_code: cdr.cdr_token.country_code, party_id: cdr.cdr_token.party_id }, routing: 'direct', request_id: `r${i}`, correlation_id: `c${i}`, accepted_at: acceptedAt });
  }
  return out;
}

async function countCdrs(config: Config): Promise<number> {
  const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  try {
    const [row] = await (await ch.query({ query: 'SELECT uniqExact(country_code, party_id, id) AS n, count() AS c FROM cdrs', format: 'JSONEachRow' })).json<{ n: string }>();
    return Number(row.n);
  } finally {
    await ch.close();
  }
}

export async function benchIngest(options: BenchOptions = {}): Promise<BenchFigure[]> {
  const count = options.cdrs ?? 100_000;
  const batchSize = options.batchSize ?? 5000;
  const base = options.config ?? cliConfig();
  const direct = isolatedConfig(base, 'bench_direct');
  const viaNats = isolatedConfig(base, 'bench');
  const log = createLogger({ level: 'warn', destination: process.stderr as never });
  const msgs = messages(count);

  // Direct bulk insert of the very rows the ingester would write (charging periods, then CDRs).
  await ensureClickHouseDatabase(direct.CLICKHOUSE_URL, direct.CLICKHOUSE_DATABASE);
  const chDirect = createClickHouse(direct.CLICKHOUSE_URL, direct.CLICKHOUSE_DATABASE);
  let directSeconds: number;
  try {
    await migrateClickHouse(chDirect);
    const batches = [];
    for (let i = 0; i < msgs.length; i += batchSize) {
      const rows = emptyRows();
      msgs.slice(i, i + batchSize).forEach((m, j) => addOcpiMessage(rows, m, { seq: i + j + 1, ingestedAt: Math.floor(Date.now() / 1000) }));
      batches.push(rows);
    }
    const t = performance.now();
    for (const rows of batches) {
      await chDirect.insert({ table: 'cdr_charging_periods', values: rows.periods, format: 'JSONEachRow' });
      await chDirect.insert({ table: 'cdrs', values: rows.cdrs, format: 'JSONEachRow' });
    }
    directSeconds = (performance.now() - t) / 1000;
  } finally {
    await chDirect.close();
  }

  // Through NATS: the stream is filled first, then the ingester drains it; timed until all acked.
  await ensureClickHouseDatabase(viaNats.CLICKHOUSE_URL, viaNats.CLICKHOUSE_DATABASE);
  const chNats = createClickHouse(viaNats.CLICKHOUSE_URL, viaNats.CLICKHOUSE_DATABASE);
  await migrateClickHouse(chNats);
  const deps = await buildDeps(viaNats, log, 'bench-ingest');
  let natsSeconds = 0;
  let publishSeconds = 0;
  try {
    const tp = performance.now();
    for (let i = 0; i < msgs.length; i += 2000) {
      await Promise.all(
        msgs.slice(i, i + 2000).map((m) =>
          deps.bus.js.publish(deps.bus.subjects.ocpi('cdrs', 'post', partyKey(m.receiver!.country_code, m.receiver!.party_id), partitionOf(m.object_key, 16)), JSON.stringify(m), { msgID: m.object_key }),
        ),
      );
    }
    publishSeconds = (performance.now() - tp) / 1000;
    const t = performance.now();
    const ingest = await startIngest(deps, chNats, { batchSize, maxDelayMs: 100, maxAckPending: batchSize * 4 });
    for (;;) {
      const info = await deps.bus.jsm.consumers.info(deps.bus.subjects.streams.ocpi, INGEST_DURABLE);
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
      await sleep(25);
    }
    natsSeconds = (performance.now() - t) / 1000;
    await ingest.stop();
    const stored = await countCdrs(viaNats);
    if (stored !== count) throw new Error(`ingested ${stored} CDRs, expected ${count}`);
  } finally {
    await chNats.close();
    await deleteStreams(deps.bus).catch(() => undefined);
    await closeDeps(deps);
    await dropClickHouseDatabase(direct.CLICKHOUSE_URL, direct.CLICKHOUSE_DATABASE);
    await dropClickHouseDatabase(viaNats.CLICKHOUSE_URL, viaNats.CLICKHOUSE_DATABASE);
  }
  const directRate = count / directSeconds;
  const rate = count / natsSeconds;
  return [
    { name: 'ingest.rate', value: Math.round(rate), unit: 'cdr/s', baseline: Math.round(directRate), ratio: Math.round((rate / directRate) * 1000) / 1000, target: 50_000 },
    { name: 'ingest.direct_rate', value: Math.round(directRate), unit: 'cdr/s', baseline: null, ratio: null, target: null },
    { name: 'ingest.publish_rate', value: Math.round(count / publishSeconds), unit: 'msg/s', baseline: null, ratio: null, target: null },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { cdrs: { type: 'string' }, batch: { type: 'string' } } });
  const figures = await benchIngest({ cdrs: values.cdrs ? Number(values.cdrs) : undefined, batchSize: values.batch ? Number(values.batch) : undefined });
  for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
}
