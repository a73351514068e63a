// Pagination benchmark (issue 3, "backed by indexes so a page is fast with a million objects"),
// two scenarios, each bulk-loaded into the hub's own tables of a fresh namespace (INSERT … SELECT
// generate_series, not the HTTP API) and then read by an eMSP over HTTP through a hub web process:
//
// - cdrs: --cdrs stored CDRs (default 1,000,000), four in five addressed to the reading eMSP, one
//   in five to another.
// - sessions: --sessions sessions in ocpi_objects (default: as many as --cdrs) from --cpos CPOs
//   (50) to --emsps eMSPs (200, the reader one of them), each addressed to one eMSP, none
//   broadcast; beside them --locations broadcast locations (10,000) of the same CPOs. Every
//   session page carries date_from (required on sessions); `broadcast_locations` is the reader's
//   first page of locations.
//
// p50/p99 latency is measured per kind of page: the first page, a deep offset (the last pages),
// the same depth reached by following the previous page's Link (its keyset cursor), a one-day
// date_from/date_to window, and date_from with a deep offset. The store's own page queries are
// EXPLAINed for each kind: the plans show which indexes are used, and the sequential scans are
// counted.
//
//   node --import tsx scripts/bench-pagination.ts [--cdrs 1000000] [--sessions N] [--cpos 50] [--emsps 200]
//     [--locations 10000] [--only cdrs,sessions] [--samples 100] [--limit 100] [--explain]
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { SimPartner, type PartnerRole } from '../src/sim/partner.ts';
import { call } from '../src/sim/http.ts';
import { freePort } from '../src/sim/freePort.ts';
import { createDb } from '../src/store/db.ts';
import { cdrPageQueries } from '../src/store/cdrs.ts';
import { objectPageQueries } from '../src/store/objects.ts';
import { audienceOf, type ListModule } from '../src/hub/listForReader.ts';
import { partyKey } from '../src/bus/subjects.ts';
import { nextLinkTarget, parseCursor, type PageRequest } from '../ocpi/pagination.ts';
import { cursorSecret } from '../src/http/pageParams.ts';
import { specExample } from '../ocpi/testing/sharedFixtures.ts';
import { benchEnv, flag, percentile, startHubProcess, stopProcess, type BenchResult } from './bench-support.ts';

const CPO: PartnerRole = { role: 'CPO', country_code: 'NL', party_id: 'PGC' };
const READER: PartnerRole = { role: 'EMSP', country_code: 'NL', party_id: 'PGR' };
const OTHER: PartnerRole = { role: 'EMSP', country_code: 'DE', party_id: 'PGO' };
/** The loaded objects' last_updated: one every 30 s from here (a million span about a year). */
const EPOCH = Date.parse('2030-01-01T00:00:00Z');
const STEP_S = 30;
const DAY_MS = 86_400_000;

export type PaginationScenario = 'cdrs' | 'sessions';

interface PageKind {
  name: string;
  module: ListModule;
  /** A fresh query per sample (offsets and windows move, so no two samples read the same rows). */
  query: (sample: number) => Record<string, string> | Promise<Record<string, string>>;
}

export interface PaginationOptions {
  cdrs: number;
  /** Sessions in the sessions scenario (default: as many as `cdrs`). */
  sessions?: number;
  /** CPOs owning the sessions and eMSPs they are addressed to (the reader is one of them). */
  cpos?: number;
  emsps?: number;
  /** Broadcast locations beside the sessions. */
  locations?: number;
  /** The scenarios to run (default both). */
  only?: PaginationScenario[];
  samples: number;
  limit: number;
  /** Print the EXPLAIN (ANALYZE, BUFFERS) plans, not just the indexes they use. */
  explain?: boolean;
  log?: (line: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const jitter = (sample: number, range: number) => (sample * 7919) % Math.max(1, range);

type BenchDb = ReturnType<typeof createDb>;
type Read = (module: ListModule, query: Record<string, string>) => ReturnType<typeof call>;

export async function benchPagination(options: PaginationOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const scenarios = options.only ?? ['cdrs', 'sessions'];
  const env = await benchEnv();
  const port = await freePort();
  const hubUrl = `http://127.0.0.1:${port}`;
  const db = createDb(env.config.DATABASE_URL, { max: 2 });
  const partners: SimPartner[] = [];
  let hub: Awaited<ReturnType<typeof startHubProcess>> | undefined;
  try {
    hub = await startHubProcess(env.env, 'web', port);
    const join = async (role: PartnerRole) => {
      const partner = await new SimPartner([role], { record: false }).start();
      partners.push(partner);
      const invite = await call(`${hubUrl}/admin/partners/invitations`, { method: 'POST', body: { name: role.party_id }, headers: { Authorization: `Bearer ${env.env.ADMIN_TOKEN}` } });
      const result = await partner.register(invite.body.data.versions_url, invite.body.data.token);
      if (result.body?.status_code !== 1000) throw new Error(`registration of ${role.party_id} failed: ${result.text}`);
      return partner;
    };
    await join(CPO);
    const reader = await join(READER);
    await join(OTHER);
    const read: Read = (module, query) =>
      call(`${hubUrl}/ocpi/2.2.1/sender/${module}?${new URLSearchParams(query)}`, { token: reader.hubToken, headers: { 'OCPI-from-country-code': READER.country_code, 'OCPI-from-party-id': READER.party_id } });
    const secret = cursorSecret(env.config);

    const results: BenchResult[] = [];
    if (scenarios.includes('cdrs')) results.push(...(await cdrScenario(db, read, secret, options, log)));
    if (scenarios.includes('sessions')) results.push(...(await sessionScenario(db, read, secret, options, log)));
    return results;
  } finally {
    await db.destroy();
    if (hub) await stopProcess(hub);
    await Promise.all(partners.map((p) => p.stop()));
    await env.cleanup();
  }
}

/** The five kinds of page over a list of `visible` rows spanning `spanMs` from EPOCH; `base` goes into every query. */
function pageKinds(module: ListModule, visible: number, spanMs: number, limit: number, read: Read, base: Record<string, string> = {}): PageKind[] {
  // The last pages, a little shallower per sample (at most a tenth of the list).
  const deepOffset = (s: number) => Math.max(limit, visible - limit - jitter(s, Math.min(10_000, Math.floor(visible / 10))));
  return [
    { name: 'first', module, query: () => ({ ...base, limit: String(limit) }) },
    { name: 'deep', module, query: (s) => ({ ...base, offset: String(deepOffset(s)), limit: String(limit) }) },
    {
      // The page at `deep`'s offset as a client following Link reaches it: the query of the
      // previous page's Link (offset and cursor), fetched untimed first.
      name: 'link_deep',
      module,
      query: async (s) => {
        const previous = await read(module, { ...base, offset: String(deepOffset(s) - limit), limit: String(limit) });
        const target = nextLinkTarget(previous.headers.get('link'));
        if (!target) throw new Error(`link_deep: no Link at offset ${deepOffset(s) - limit}`);
        return Object.fromEntries(new URL(target).searchParams);
      },
    },
    {
      name: 'window',
      module,
      query: (s) => {
        const from = EPOCH + Math.floor(spanMs / 4) + jitter(s, Math.floor(spanMs / DAY_MS / 2)) * DAY_MS;
        return { date_from: iso(from), date_to: iso(from + DAY_MS), limit: String(limit) };
      },
    },
    {
      name: 'window_deep',
      module,
      query: (s) => ({ date_from: iso(EPOCH + Math.floor(spanMs / 2)), offset: String(Math.max(0, Math.floor(visible / 2) - limit - jitter(s, Math.min(10_000, Math.floor(visible / 10))))), limit: String(limit) }),
    },
  ];
}

async function cdrScenario(db: BenchDb, read: Read, secret: Uint8Array, options: PaginationOptions, log: (line: string) => void): Promise<BenchResult[]> {
  const loadSeconds = await loadCdrs(db, options.cdrs, log);
  const visible = options.cdrs - Math.floor(options.cdrs / 5);
  log(`loaded ${options.cdrs} CDRs in ${loadSeconds.toFixed(1)} s (${visible} addressed to the reader)`);
  const kinds = pageKinds('cdrs', visible, options.cdrs * STEP_S * 1000, options.limit, read);
  const audience = audienceOf('cdrs', [{ ...READER }]);
  const plans = await explainKinds(db, kinds, secret, options, log, (_, page) => cdrPageQueries(db, page, audience));
  const results = await measureKinds(kinds, read, 'pagination.', options, log);
  const seqScans = Object.values(plans).flat().filter((p) => p.includes('Seq Scan on cdrs')).length;
  results.push({ name: 'pagination.seq_scans', value: seqScans, unit: 'plans', baseline: null, ratio: null, target: '0 (every page query uses an index)' });
  return results;
}

async function sessionScenario(db: BenchDb, read: Read, secret: Uint8Array, options: PaginationOptions, log: (line: string) => void): Promise<BenchResult[]> {
  const load = { sessions: options.sessions ?? options.cdrs, cpos: options.cpos ?? 50, emsps: options.emsps ?? 200, locations: options.locations ?? 10_000 };
  const loadSeconds = await loadSessions(db, load, log);
  const readerKey = partyKey(READER.country_code, READER.party_id);
  const [{ visible }] = (await db.raw(`SELECT count(*)::int AS visible FROM ocpi_objects WHERE module = 'sessions' AND receivers @> ARRAY[?]`, [readerKey])).rows as { visible: number }[];
  log(`loaded ${load.sessions} sessions (${load.cpos} CPOs to ${load.emsps} eMSPs, ${visible} addressed to the reader) and ${load.locations} broadcast locations in ${loadSeconds.toFixed(1)} s`);
  const spanMs = load.sessions * STEP_S * 1000;
  const kinds: PageKind[] = [
    ...pageKinds('sessions', visible, spanMs, options.limit, read, { date_from: iso(EPOCH) }),
    { name: 'broadcast_locations', module: 'locations', query: () => ({ limit: String(options.limit) }) },
  ];
  const audiences = { sessions: audienceOf('sessions', [{ ...READER }]), locations: audienceOf('locations', [{ ...READER }]) } as Record<ListModule, ReturnType<typeof audienceOf>>;
  const plans = await explainKinds(db, kinds, secret, options, log, (kind, page) => objectPageQueries(db, kind.module, page, audiences[kind.module]));
  const results = await measureKinds(kinds, read, 'pagination.sessions.', options, log);
  const seqScans = Object.values(plans).flat().filter((p) => p.includes('Seq Scan on ocpi_objects')).length;
  results.push({ name: 'pagination.sessions.seq_scans', value: seqScans, unit: 'plans', baseline: null, ratio: null, target: '0 (every page query uses an index)' });
  return results;
}

/** EXPLAIN (ANALYZE, BUFFERS) of each kind's count and rows queries (also a warm-up of every kind); a line per plan: its time and scans. */
async function explainKinds(
  db: BenchDb,
  kinds: PageKind[],
  secret: Uint8Array,
  options: PaginationOptions,
  log: (line: string) => void,
  queriesOf: (kind: PageKind, page: PageRequest) => { count: Knex.QueryBuilder | Knex.Raw; rows: Knex.QueryBuilder | Knex.Raw },
): Promise<Record<string, string[]>> {
  const plans: Record<string, string[]> = {};
  for (const kind of kinds) {
    const page = pageOf(await kind.query(0), options.limit, secret);
    const queries = queriesOf(kind, page);
    plans[kind.name] = [];
    for (const [part, query] of [['count', queries.count], ['rows', queries.rows]] as const) {
      const sql = query.toSQL().toNative();
      const result = await db.raw(`EXPLAIN (ANALYZE, BUFFERS) ${sql.sql.replace(/\$(\d+)/g, '?')}`, sql.bindings as never);
      const lines: string[] = result.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
      const ms = /Execution Time: ([\d.]+) ms/.exec(lines.join('\n'))?.[1];
      plans[kind.name].push(`${part} ${ms} ms: ${indexesOf(lines)}`);
      if (options.explain) log(`EXPLAIN ${kind.name} ${part}\n  ${lines.join('\n  ')}`);
    }
    log(`plan ${kind.name.padEnd(19)} ${plans[kind.name].join(' | ')}`);
  }
  return plans;
}

/** p50/p99 over `samples` HTTP GETs per kind (after three untimed ones), as results named `prefix` + kind. */
async function measureKinds(kinds: PageKind[], read: Read, prefix: string, options: PaginationOptions, log: (line: string) => void): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of kinds) {
    const latencies: number[] = [];
    for (let s = 0; s < options.samples + 3; s++) {
      const params = await kind.query(s + 1);
      const query = new URLSearchParams(params).toString();
      const started = performance.now();
      const page = await read(kind.module, params);
      const ms = performance.now() - started;
      if (page.body?.status_code !== 1000) throw new Error(`${kind.name} ${query}: ${page.status} ${page.text.slice(0, 200)}`);
      if (page.body.data.length === 0) throw new Error(`${kind.name} ${query}: an empty page`);
      if (s >= 3) latencies.push(ms); // the first three warm the hub's caches and connections
    }
    latencies.sort((a, b) => a - b);
    const p50 = round(percentile(latencies, 50));
    const p99 = round(percentile(latencies, 99));
    log(`${kind.name.padEnd(19)} p50 ${p50} ms  p99 ${p99} ms  (${options.samples} pages of ${options.limit})`);
    results.push({ name: `${prefix}${kind.name}_p50_ms`, value: p50, unit: 'ms', baseline: null, ratio: null, target: null });
    results.push({ name: `${prefix}${kind.name}_p99_ms`, value: p99, unit: 'ms', baseline: null, ratio: null, target: null });
  }
  return results;
}

/**
 * Loads the CDRs set-based in chunks: the spec's example CDR with its own id and last_updated,
 * owned by the CPO, four in five addressed to the reader. Then VACUUM ANALYZE, as autovacuum
 * would after a load this size (index-only scans need the visibility map).
 */
async function loadCdrs(db: BenchDb, count: number, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const template = { ...specExample<Record<string, unknown>>('cdr_example.json'), country_code: CPO.country_code, party_id: CPO.party_id };
  const reader = `${READER.country_code}-${READER.party_id}`;
  const other = `${OTHER.country_code}-${OTHER.party_id}`;
  const chunk = 100_000;
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    await db.raw(
      `INSERT INTO cdrs (country_code, party_id, cdr_id, data, content_hash, receiver, routing, last_updated)
       SELECT ?, ?, 'PG' || g, ?::jsonb || jsonb_build_object('id', 'PG' || g, 'last_updated', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
              md5(g::text), CASE WHEN g % 5 = 0 THEN ? ELSE ? END, 'direct', t.at
         FROM generate_series(?::int, ?::int) g
         CROSS JOIN LATERAL (SELECT ?::timestamptz + (g - 1) * interval '${STEP_S} seconds' AS at) t`,
      [CPO.country_code, CPO.party_id, JSON.stringify(template), other, reader, from, to, iso(EPOCH)],
    );
    log(`  ${to}/${count}`);
  }
  await db.raw('VACUUM ANALYZE cdrs');
  return (performance.now() - started) / 1000;
}

/**
 * Loads sessions and broadcast locations set-based in chunks, as the hub stores what it routed:
 * session g (the spec's finished example, its own id and last_updated, one every 30 s) is owned by
 * CPO ⌊g / emsps⌋ mod cpos and addressed (receivers, not broadcast) to eMSP g mod emsps, the reader
 * being eMSP 0; so every eMSP has sessions of every CPO, spread over the whole span. The locations
 * (the spec's example) are broadcast (no receivers), spread over the same span. The registered CPO
 * is CPO 0. Then VACUUM ANALYZE (index-only scans need the visibility map).
 */
async function loadSessions(db: BenchDb, load: { sessions: number; cpos: number; emsps: number; locations: number }, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const id36 = (prefix: string, i: number) => `${prefix}${i.toString(36).toUpperCase().padStart(2, '0')}`;
  const cpos = Array.from({ length: load.cpos }, (_, i) => (i === 0 ? CPO : { country_code: 'BE', party_id: id36('C', i) }));
  const emsps = Array.from({ length: load.emsps }, (_, i) => (i === 0 ? READER : { country_code: 'DE', party_id: id36('E', i) }));
  const cpoCountries = cpos.map((c) => c.country_code);
  const cpoParties = cpos.map((c) => c.party_id);
  const session = specExample<Record<string, unknown>>('session_example_2_short_finished.json');
  const stamp = `to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  const chunk = 100_000;
  for (let from = 1; from <= load.sessions; from += chunk) {
    const to = Math.min(load.sessions, from + chunk - 1);
    await db.raw(
      `INSERT INTO ocpi_objects (module, country_code, party_id, object_id, data, last_updated, receivers, broadcast)
       SELECT 'sessions', c.cc, c.pid, 'S' || g,
              ?::jsonb || jsonb_build_object('id', 'S' || g, 'country_code', c.cc, 'party_id', c.pid, 'last_updated', ${stamp},
                'cdr_token', (?::jsonb) || jsonb_build_object('country_code', e.cc, 'party_id', e.pid, 'contract_id', e.cc || '-' || e.pid || '-C' || g)),
              t.at, ARRAY[e.cc || '-' || e.pid], false
         FROM generate_series(?::int, ?::int) g
         CROSS JOIN LATERAL (SELECT ?::timestamptz + (g - 1) * interval '${STEP_S} seconds' AS at) t
         CROSS JOIN LATERAL (SELECT (?::text[])[1 + (g / ?::int) % ?::int] AS cc, (?::text[])[1 + (g / ?::int) % ?::int] AS pid) c
         CROSS JOIN LATERAL (SELECT (?::text[])[1 + g % ?::int] AS cc, (?::text[])[1 + g % ?::int] AS pid) e`,
      [
        JSON.stringify(session),
        JSON.stringify(session.cdr_token),
        from,
        to,
        iso(EPOCH),
        cpoCountries,
        load.emsps,
        load.cpos,
        cpoParties,
        load.emsps,
        load.cpos,
        emsps.map((e) => e.country_code),
        load.emsps,
        emsps.map((e) => e.party_id),
        load.emsps,
      ],
    );
    log(`  ${to}/${load.sessions} sessions`);
  }
  const location = specExample<Record<string, unknown>>('location_example.json');
  const locationStep = Math.max(1, Math.floor((load.sessions * STEP_S) / Math.max(1, load.locations)));
  await db.raw(
    `INSERT INTO ocpi_objects (module, country_code, party_id, object_id, data, last_updated, receivers, broadcast)
     SELECT 'locations', c.cc, c.pid, 'L' || g,
            ?::jsonb || jsonb_build_object('id', 'L' || g, 'country_code', c.cc, 'party_id', c.pid, 'last_updated', ${stamp}),
            t.at, '{}', true
       FROM generate_series(1, ?::int) g
       CROSS JOIN LATERAL (SELECT ?::timestamptz + (g - 1) * interval '${locationStep} seconds' AS at) t
       CROSS JOIN LATERAL (SELECT (?::text[])[1 + g % ?::int] AS cc, (?::text[])[1 + g % ?::int] AS pid) c`,
    [JSON.stringify(location), load.locations, iso(EPOCH), cpoCountries, load.cpos, cpoParties, load.cpos],
  );
  log(`  ${load.locations} locations`);
  await db.raw('VACUUM ANALYZE ocpi_objects');
  return (performance.now() - started) / 1000;
}

function pageOf(query: Record<string, string>, limit: number, secret: Uint8Array): PageRequest {
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor, 'integer', secret);
  if (cursor && !cursor.ok) throw new Error(`a cursor the hub did not make: ${query.cursor}`);
  return {
    dateFrom: query.date_from ? new Date(query.date_from) : undefined,
    dateTo: query.date_to ? new Date(query.date_to) : undefined,
    offset: Number(query.offset ?? 0),
    limit: Number(query.limit ?? limit),
    after: cursor?.cursor,
  };
}

/** The scans of a plan in a line: "Index Only Scan using cdrs_receiver", "Seq Scan on cdrs", … */
function indexesOf(plan: string[]): string {
  const scans = plan.map((l) => /((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?(?: using \S+)?(?: on \S+)?)/.exec(l)?.[1]).filter(Boolean);
  return [...new Set(scans)].join(', ');
}

const round = (v: number) => Math.round(v * 10) / 10;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const optional = (name: string) => (args.includes(`--${name}`) ? flag(args, name, 0) : undefined);
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1].split(',') as PaginationScenario[]) : undefined;
  benchPagination({
    cdrs: flag(args, 'cdrs', 1_000_000),
    sessions: optional('sessions'),
    cpos: optional('cpos'),
    emsps: optional('emsps'),
    locations: optional('locations'),
    only,
    samples: flag(args, 'samples', 100),
    limit: flag(args, 'limit', 100),
    explain: args.includes('--explain'),
  }).then(
    (results) => {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
