// Pagination benchmark (issue 3, "backed by indexes so a page is fast with a million objects"):
// --cdrs stored CDRs (default 1,000,000) are bulk-loaded into the hub's own table of a fresh
// namespace (INSERT … SELECT generate_series, not the HTTP API), four in five addressed to the
// reading eMSP, one in five to another. A hub web process then serves GET-all pages to the reader
// over HTTP, and p50/p99 latency is measured per kind of page: the first page, a deep offset
// (the last pages), the same depth reached by following the previous page's Link (its keyset
// cursor), a one-day date_from/date_to window, and date_from with a deep offset. The store's own
// page queries are EXPLAINed for each kind: the plans show which indexes are used.
//
//   node --import tsx scripts/bench-pagination.ts [--cdrs 1000000] [--samples 100] [--limit 100] [--explain]
import { pathToFileURL } from 'node:url';
import { SimPartner, type PartnerRole } from '../src/sim/partner.ts';
import { call } from '../src/sim/http.ts';
import { freePort } from '../src/sim/freePort.ts';
import { createDb } from '../src/store/db.ts';
import { cdrPageQueries } from '../src/store/cdrs.ts';
import { audienceOf } from '../src/hub/listForReader.ts';
import { nextLinkTarget, parseCursor, type PageRequest } from '../ocpi/pagination.ts';
import { cursorSecret } from '../src/http/pageParams.ts';
import { specExample } from '../ocpi/testing/sharedFixtures.ts';
import { benchEnv, flag, percentile, startHubProcess, stopProcess, type BenchResult } from './bench-support.ts';

const CPO: PartnerRole = { role: 'CPO', country_code: 'NL', party_id: 'PGC' };
const READER: PartnerRole = { role: 'EMSP', country_code: 'NL', party_id: 'PGR' };
const OTHER: PartnerRole = { role: 'EMSP', country_code: 'DE', party_id: 'PGO' };
/** The loaded CDRs' last_updated: one every 30 s from here (a million span about a year). */
const EPOCH = Date.parse('2030-01-01T00:00:00Z');
const STEP_S = 30;

interface PageKind {
  name: string;
  /** A fresh query per sample (offsets and windows move, so no two samples read the same rows). */
  query: (sample: number) => Record<string, string> | Promise<Record<string, string>>;
}

export interface PaginationOptions {
  cdrs: number;
  samples: number;
  limit: number;
  /** Print the EXPLAIN (ANALYZE, BUFFERS) plans, not just the indexes they use. */
  explain?: boolean;
  log?: (line: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export async function benchPagination(options: PaginationOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
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

    const loadSeconds = await loadCdrs(db, options.cdrs, log);
    const visible = options.cdrs - Math.floor(options.cdrs / 5);
    log(`loaded ${options.cdrs} CDRs in ${loadSeconds.toFixed(1)} s (${visible} addressed to the reader)`);

    const { limit } = options;
    const spanMs = options.cdrs * STEP_S * 1000;
    const day = 86_400_000;
    const jitter = (sample: number, range: number) => (sample * 7919) % Math.max(1, range);
    const read = (query: Record<string, string>) =>
      call(`${hubUrl}/ocpi/2.2.1/sender/cdrs?${new URLSearchParams(query)}`, { token: reader.hubToken, headers: { 'OCPI-from-country-code': READER.country_code, 'OCPI-from-party-id': READER.party_id } });
    const deepOffset = (s: number) => Math.max(limit, visible - limit - jitter(s, 10_000));
    const kinds: PageKind[] = [
      { name: 'first', query: () => ({ limit: String(limit) }) },
      { name: 'deep', query: (s) => ({ offset: String(deepOffset(s)), limit: String(limit) }) },
      {
        // The page at `deep`'s offset as a client following Link reaches it: the query of the
        // previous page's Link (offset and cursor), fetched untimed first.
        name: 'link_deep',
        query: async (s) => {
          const previous = await read({ offset: String(deepOffset(s) - limit), limit: String(limit) });
          const target = nextLinkTarget(previous.headers.get('link'));
          if (!target) throw new Error(`link_deep: no Link at offset ${deepOffset(s) - limit}`);
          return Object.fromEntries(new URL(target).searchParams);
        },
      },
      {
        name: 'window',
        query: (s) => {
          const from = EPOCH + Math.floor(spanMs / 4) + jitter(s, Math.floor(spanMs / day / 2)) * day;
          return { date_from: iso(from), date_to: iso(from + day), limit: String(limit) };
        },
      },
      { name: 'window_deep', query: (s) => ({ date_from: iso(EPOCH + Math.floor(spanMs / 2)), offset: String(Math.floor(visible / 2) - limit - jitter(s, 10_000)), limit: String(limit) }) },
    ];

    // Plans first (and a warm-up of every kind), then the timed samples.
    const audience = audienceOf('cdrs', [{ ...READER }]);
    const plans: Record<string, string[]> = {};
    const secret = cursorSecret(env.config);
    for (const kind of kinds) {
      const page = pageOf(await kind.query(0), options.limit, secret);
      const queries = cdrPageQueries(db, page, audience);
      plans[kind.name] = [];
      for (const [part, query] of [['count', queries.count], ['rows', queries.rows]] as const) {
        const sql = query.toSQL().toNative();
        const result = await db.raw(`EXPLAIN (ANALYZE, BUFFERS) ${sql.sql.replace(/\$(\d+)/g, '?')}`, sql.bindings as never);
        const lines: string[] = result.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
        const ms = /Execution Time: ([\d.]+) ms/.exec(lines.join('\n'))?.[1];
        plans[kind.name].push(`${part} ${ms} ms: ${indexesOf(lines)}`);
        if (options.explain) log(`EXPLAIN ${kind.name} ${part}\n  ${lines.join('\n  ')}`);
      }
      log(`plan ${kind.name.padEnd(11)} ${plans[kind.name].join(' | ')}`);
    }

    const results: BenchResult[] = [];
    for (const kind of kinds) {
      const latencies: number[] = [];
      for (let s = 0; s < options.samples + 3; s++) {
        const params = await kind.query(s + 1);
        const query = new URLSearchParams(params).toString();
        const started = performance.now();
        const page = await read(params);
        const ms = performance.now() - started;
        if (page.body?.status_code !== 1000) throw new Error(`${kind.name} ${query}: ${page.status} ${page.text.slice(0, 200)}`);
        if (page.body.data.length === 0) throw new Error(`${kind.name} ${query}: an empty page`);
        if (s >= 3) latencies.push(ms); // the first three warm the hub's caches and connections
      }
      latencies.sort((a, b) => a - b);
      const p50 = round(percentile(latencies, 50));
      const p99 = round(percentile(latencies, 99));
      log(`${kind.name.padEnd(11)} p50 ${p50} ms  p99 ${p99} ms  (${options.samples} pages of ${limit})`);
      results.push({ name: `pagination.${kind.name}_p50_ms`, value: p50, unit: 'ms', baseline: null, ratio: null, target: null });
      results.push({ name: `pagination.${kind.name}_p99_ms`, value: p99, unit: 'ms', baseline: null, ratio: null, target: null });
    }
    const seqScans = Object.values(plans).flat().filter((p) => p.includes('Seq Scan on cdrs')).length;
    results.push({ name: 'pagination.seq_scans', value: seqScans, unit: 'plans', baseline: null, ratio: null, target: '0 (every page query uses an index)' });
    return results;
  } finally {
    await db.destroy();
    if (hub) await stopProcess(hub);
    await Promise.all(partners.map((p) => p.stop()));
    await env.cleanup();
  }
}

/**
 * Loads the CDRs set-based in chunks: the spec's example CDR with its own id and last_updated,
 * owned by the CPO, four in five addressed to the reader. Then VACUUM ANALYZE, as autovacuum
 * would after a load this size (index-only scans need the visibility map).
 */
async function loadCdrs(db: ReturnType<typeof createDb>, count: number, log: (line: string) => void): Promise<number> {
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
  benchPagination({ cdrs: flag(args, 'cdrs', 1_000_000), samples: flag(args, 'samples', 100), limit: flag(args, 'limit', 100), explain: args.includes('--explain') }).then(
    (results) => {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
