// Benchmark: analytics ingestion NATS JetStream → ClickHouse in CDRs per second, measured beside a
// direct bulk insert of the same rows into the same tables in the same run. Uses its own ClickHouse
// databases and stream prefix and removes them afterwards.
//
// The direct insert is the best this client does with the rows in memory: the same batches the
// ingester writes (charging periods, then CDRs, with the view on cdrs), encoded as TabSeparated
// and inserted with the same overlap as the ingester, in a child process; the clock covers
// encoding and inserting, as a client inserting rows pays both. The ingester's figure covers
// everything: fetching from JetStream, JSON parsing, mapping, encoding, inserting and
// acknowledging, timed from its start until the consumer holds nothing unacknowledged.
//
//   node --import tsx scripts/bench-ingest.ts [--cdrs 100000] [--batch 20000] [--in-flight 2] [--encode-workers N] [--profile drain.cpuprofile]
//
// Prints one JSON line per figure: {name, value, unit, baseline, ratio, target}.
import { parseArgs, promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import type { Config } from '../src/config.ts';
import { buildDeps, closeDeps } from '../src/bootstrap.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../src/store/clickhouse.ts';
import { deleteStreams } from '../src/bus/nats.ts';
import { laneOf, partyKey } from '../src/bus/subjects.ts';
import type { OcpiPushMessage } from '../src/bus/messages.ts';
import { createLogger } from '../src/logger.ts';
import { cliConfig } from '../src/cli/localConfig.ts';
import { generate } from '../pipelines/evaluate/generator.ts';
import { isolatedConfig } from '../pipelines/evaluate/run.ts';
import { startIngest, INGEST_DURABLE } from '../pipelines/ingest/index.ts';
import { addOcpiMessage, emptyRows, type Rows } from '../pipelines/ingest/transform.ts';
import { encodeRows } from '../pipelines/ingest/tsv.ts';
import { insertTexts } from '../pipelines/ingest/sink.ts';
import { cpuSeconds } from './bench-support.ts';

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
  /** Batches written at the same time, by the ingester and by the direct insert alike. */
  inFlight?: number;
  /** The ingester's encoding worker threads (default: its own default). */
  encodeWorkers?: number;
  config?: Config;
  /** Writes a CPU profile of this thread covering the drain phase alone (setup, publishing and the direct insert left out). */
  profile?: string;
}

const execFileAsync = promisify(execFile);
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

async function countCdrs(config: Config): Promise<{ cdrs: number; facts: number }> {
  const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  try {
    const [row] = await (
      await ch.query({ query: 'SELECT (SELECT uniqExact(country_code, party_id, id) FROM cdrs) AS cdrs, (SELECT count() FROM cdr_facts FINAL) AS facts', format: 'JSONEachRow' })
    ).json<{ cdrs: string; facts: string }>();
    return { cdrs: Number(row.cdrs), facts: Number(row.facts) };
  } finally {
    await ch.close();
  }
}

// The local NATS and ClickHouse servers, by process name (ClickHouse's is cut to 15 characters).
// They share the cores with the ingester, so their cost per CDR bounds the rate as much as its own.
const servers = { nats: 'nats-server', clickhouse: 'clickhouse-serv' };

/** A CPU profile of this thread from now until stop (the ingester's drain only, unlike --cpu-prof). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
    },
  };
}

/** Runs `work` over `items` with at most `limit` at once, in order of start. */
async function overlapped<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  for (const item of items) {
    if (running.size >= limit) await Promise.race(running);
    const p: Promise<void> = work(item).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
}

interface DirectSpec {
  url: string;
  database: string;
  cdrs: number;
  batchSize: number;
  inFlight: number;
}

/** Seconds to encode and insert the rows of `spec.cdrs` CDRs, batch by batch, `inFlight` at once. */
async function directInsert(spec: DirectSpec): Promise<number> {
  const msgs = messages(spec.cdrs);
  await ensureClickHouseDatabase(spec.url, spec.database);
  const ch = createClickHouse(spec.url, spec.database);
  try {
    await migrateClickHouse(ch);
    const batches: Rows[] = [];
    for (let i = 0; i < msgs.length; i += spec.batchSize) {
      const rows = emptyRows();
      msgs.slice(i, i + spec.batchSize).forEach((m, j) => addOcpiMessage(rows, m, { seq: i + j + 1, ingestedAt: Math.floor(Date.now() / 1000) }));
      batches.push(rows);
    }
    const t = performance.now();
    await overlapped(batches, spec.inFlight, (rows) => insertTexts(ch, encodeRows(rows)));
    return (performance.now() - t) / 1000;
  } finally {
    await ch.close();
  }
}

const DIRECT_ENV = 'BENCH_INGEST_DIRECT';

/** directInsert in a child process (this script again, with the same loader). */
async function directInsertElsewhere(spec: DirectSpec): Promise<number> {
  const { stdout } = await execFileAsync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, [DIRECT_ENV]: JSON.stringify(spec) }, maxBuffer: 1 << 20 });
  const seconds = Number(JSON.parse(stdout.trim().split('\n').pop() ?? '{}').seconds);
  if (!(seconds > 0)) throw new Error(`direct insert reported no time: ${stdout}`);
  return seconds;
}

export async function benchIngest(options: BenchOptions = {}): Promise<BenchFigure[]> {
  const count = options.cdrs ?? 100_000;
  const batchSize = options.batchSize ?? 20_000;
  const inFlight = options.inFlight ?? 2;
  const base = options.config ?? cliConfig();
  const direct = isolatedConfig(base, 'bench_direct');
  const viaNats = isolatedConfig(base, 'bench');
  const log = createLogger({ level: 'warn', destination: process.stderr as never });
  // Released once published, so the ingester runs in a process that holds no more than it would
  // in production (100,000 parsed CDRs held here would make every full GC of the ingester's heap slower).
  let msgs: OcpiPushMessage[] | null = messages(count);

  // Direct bulk insert of the very rows the ingester writes, in a process of its own: done here,
  // holding 100,000 mapped rows until they are encoded teaches V8 that the rows and strings the
  // mapping and encoding functions allocate live long, and it then allocates them straight into
  // the old generation for the ingester too (about 5 µs more per CDR), which a pipelines process
  // in production never sees.
  const directSeconds = await directInsertElsewhere({ url: direct.CLICKHOUSE_URL, database: direct.CLICKHOUSE_DATABASE, cdrs: count, batchSize, inFlight });

  // Through NATS: the stream is filled first, then the ingester drains it; timed until all acked.
  await ensureClickHouseDatabase(viaNats.CLICKHOUSE_URL, viaNats.CLICKHOUSE_DATABASE);
  const chNats = createClickHouse(viaNats.CLICKHOUSE_URL, viaNats.CLICKHOUSE_DATABASE);
  await migrateClickHouse(chNats);
  const deps = await buildDeps(viaNats, log, 'bench-ingest');
  let natsSeconds = 0;
  let publishSeconds = 0;
  let cpuMicros = 0;
  let natsServerMicros: number | null = null;
  let clickhouseMicros: number | null = null;
  try {
    const tp = performance.now();
    for (let i = 0; i < count; i += 2000) {
      await Promise.all(
        msgs.slice(i, i + 2000).map((m) =>
          deps.bus.publish(deps.bus.subjects.ocpi('cdrs', 'post', partyKey(m.receiver!.country_code, m.receiver!.party_id), laneOf('cdrs', m.object_key, 16)), JSON.stringify(m), m.object_key),
        ),
      );
    }
    msgs = null;
    publishSeconds = (performance.now() - tp) / 1000;
    const profiler = options.profile ? await startProfile() : null;
    const serversBefore = cpuSeconds(servers);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const ingest = await startIngest(deps, chNats, { batchSize, maxDelayMs: 100, inFlight, encodeWorkers: options.encodeWorkers });
    for (;;) {
      // The ingester's connection is busy; a status request that times out is asked again.
      const info = await deps.bus.jsm.consumers.info(deps.bus.subjects.streams.ocpi, INGEST_DURABLE).catch(() => null);
      if (info && info.num_pending === 0 && info.num_ack_pending === 0) break;
      await sleep(25);
    }
    natsSeconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    cpuMicros = used.user + used.system;
    // No CPU at all: the server runs on another machine (draining 100,000 CDRs always costs some here).
    const serversAfter = cpuSeconds(servers);
    if (serversAfter.nats > serversBefore.nats) natsServerMicros = (serversAfter.nats - serversBefore.nats) * 1e6;
    if (serversAfter.clickhouse > serversBefore.clickhouse) clickhouseMicros = (serversAfter.clickhouse - serversBefore.clickhouse) * 1e6;
    if (profiler && options.profile) await profiler.stop(options.profile);
    await ingest.stop();
    for (const [how, config] of [['direct', direct], ['through NATS', viaNats]] as const) {
      const stored = await countCdrs(config);
      if (stored.cdrs !== count || stored.facts !== count) throw new Error(`${how}: stored ${stored.cdrs} CDRs and ${stored.facts} facts, expected ${count}`);
    }
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
    // CPU time of this process (all threads: consuming, parsing, mapping, encoding, acknowledging) per CDR ingested.
    { name: 'ingest.cpu_per_cdr', value: Math.round((cpuMicros / count) * 10) / 10, unit: 'us', baseline: null, ratio: null, target: null },
    // The same drain's cost in the NATS and ClickHouse servers on this machine (absent when they run elsewhere).
    ...(natsServerMicros === null ? [] : [{ name: 'ingest.nats_server_cpu_per_cdr', value: Math.round((natsServerMicros / count) * 10) / 10, unit: 'us', baseline: null, ratio: null, target: null }]),
    ...(clickhouseMicros === null ? [] : [{ name: 'ingest.clickhouse_cpu_per_cdr', value: Math.round((clickhouseMicros / count) * 10) / 10, unit: 'us', baseline: null, ratio: null, target: null }]),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.env[DIRECT_ENV]) {
  process.stdout.write(`${JSON.stringify({ seconds: await directInsert(JSON.parse(process.env[DIRECT_ENV]) as DirectSpec) })}\n`);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { cdrs: { type: 'string' }, batch: { type: 'string' }, 'in-flight': { type: 'string' }, 'encode-workers': { type: 'string' }, profile: { type: 'string' } } });
  const figures = await benchIngest({
    cdrs: values.cdrs ? Number(values.cdrs) : undefined,
    batchSize: values.batch ? Number(values.batch) : undefined,
    inFlight: values['in-flight'] ? Number(values['in-flight']) : undefined,
    encodeWorkers: values['encode-workers'] ? Number(values['encode-workers']) : undefined,
    profile: values.profile,
  });
  for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
}
