// Days and hours are UTC days and hours whatever the ClickHouse server's time zone: the README,
// the migrations and the panel titles promise UTC, and the drift rule computes UTC days in JS.
// Our DateTime columns carry no zone, so a calendar function without one (toDate(x),
// toStartOfHour(x), toHour(x), toDateTime(day)) uses the server's.
//
// Two checks. Statically, every calendar call in what runs now (the rollup statements, every
// dashboard query, the materialized views in force and the newer migrations' inserts) names
// 'UTC', unless it reads a literal or unix seconds; this catches a regression on any server.
// Then the behaviour, on current ClickHouse (chdb) with session_timezone = Asia/Kolkata (UTC+5:30,
// so days and even start hours differ): CDRs stored before migration 0009 (filed under local days
// by the old views) and after it, rolled up and shown by the panels, fall on their UTC day and
// hour, each once. ClickHouse 18.16 has no session_timezone, and its server here is in UTC.
import { readdirSync, readFileSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateClickHouse, splitStatements } from '../../src/store/clickhouse.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { generate } from '../../pipelines/evaluate/generator.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import * as rollupQueries from '../../pipelines/rollups/queries.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { clickHouseVariables, loadDashboards, onClickHouse, panelsOf } from './support/dashboards.ts';
import { expandClickHouse } from './support/grafana.ts';

/** Functions whose result depends on a time zone when given a DateTime (or, for toDateTime, a Date). */
const CALENDAR = /\b(toDate|toDateTime|toStartOf\w+|toMonday|toHour|toMinute|toSecond|toYear|toQuarter|toMonth|toISOWeek|toISOYear|toWeek|toDayOfWeek|toDayOfMonth|toDayOfYear|toYYYYMM|toYYYYMMDD|toYYYYMMDDhhmmss|toRelative\w+Num|formatDateTime|toTime)\s*\(/g;

/** Top-level arguments of the call whose `(` is at `open`. */
function argumentsAt(sql: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === "'") quoted = false;
    } else if (ch === "'") quoted = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) {
      args.push(sql.slice(start, i).trim());
      return args;
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${open}: ${sql.slice(open - 20, open + 60)}`);
}

/** Calls in `sql` that would use the server's time zone: neither naming 'UTC' nor reading a literal or unix seconds. */
function zonelessCalls(sql: string): string[] {
  const found: string[] = [];
  for (const m of sql.matchAll(CALENDAR)) {
    const open = m.index! + m[0].length - 1;
    const args = argumentsAt(sql, open);
    const first = args[0] ?? '';
    const literal = /^'[^']*'$/.test(first) || /^\d+$/.test(first) || /^intDiv\(/.test(first);
    const utc = args.length >= 2 && args[args.length - 1] === "'UTC'";
    if (!literal && !utc) found.push(`${m[1]}(${args.join(', ')})`);
  }
  return found;
}

describe('calendar functions name UTC (static)', () => {
  it.each<[string, string, string[]]>([
    ['a DateTime column', "SELECT toDate(end_ts) FROM t", ['toDate(end_ts)']],
    ['a DateTime column in UTC', "SELECT toDate(end_ts, 'UTC'), toStartOfHour(start_ts, 'UTC')", []],
    ['a nested call', "SELECT toString(toHour(hour)) GROUP BY toHour(hour, 'UTC')", ['toHour(hour)']],
    ['a Date made a DateTime', 'SELECT toDateTime(day) AS time', ['toDateTime(day)']],
    ['a macro expanded to a DateTime', 'WHERE day >= toDate(toDateTime(1700000000))', ['toDate(toDateTime(1700000000))']],
    ['a literal day and unix seconds', "WHERE day = toDate('2026-01-01') AND at >= toDateTime(1700000000) AND t = toDateTime(intDiv(toUInt32(at), 60) * 60)", []],
    ['a string holding a comma', "SELECT formatDateTime(t, '%F, %T')", ["formatDateTime(t, '%F, %T')"]],
  ])('the scan finds %s', (_what, sql, calls) => {
    expect(zonelessCalls(sql)).toEqual(calls);
  });

  it('every rollup statement', () => {
    const builders = Object.keys(rollupQueries).filter((k) => /Sql$|Statements$/.test(k));
    expect(builders.sort(), 'a new statement in rollups/queries.ts: scan it here').toEqual(['recomputeStatements', 'runStateSql', 'touchedDaysSql', 'touchedPartitionsSql']);
    const statements = [...rollupQueries.recomputeStatements(['2026-01-01', '2026-01-02'], 1), rollupQueries.touchedDaysSql(1_700_000_000), rollupQueries.runStateSql(rollupQueries.ROLLUP_JOB), rollupQueries.touchedPartitionsSql];
    for (const sql of statements) expect(zonelessCalls(sql), sql).toEqual([]);
  });

  for (const { file, json } of loadDashboards()) {
    const queries = [...panelsOf(json).flatMap((p) => (p.targets ?? []).filter(onClickHouse).map((t: any) => [p.title, t.rawSql])), ...clickHouseVariables(json).map((v) => [`variable ${v.name}`, v.query])];
    if (queries.length === 0) continue;
    it(`every ClickHouse query of ${file}`, () => {
      for (const [title, sql] of queries) expect(zonelessCalls(sql), title).toEqual([]);
    });
  }

  it('the materialized views in force and the inserts of the migrations after 0008', () => {
    const dir = new URL('../../migrations/clickhouse/', import.meta.url);
    const views = new Map<string, string>();
    const inserts: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
      for (const statement of splitStatements(readFileSync(new URL(file, dir), 'utf8'))) {
        const view = /^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?(\w+)/.exec(statement);
        if (view) views.set(view[1], statement);
        const dropped = /^DROP TABLE (?:IF EXISTS )?(\w+_mv)$/.exec(statement);
        if (dropped) views.delete(dropped[1]);
        if (/^INSERT INTO/.test(statement) && Number(file.slice(0, 4)) > 8) inserts.push(statement);
      }
    }
    expect([...views.keys()]).toEqual(expect.arrayContaining(['cdr_facts_charging_mv', 'rollup_touched_days_mv', 'cdr_credits_mv']));
    for (const [name, sql] of views) expect(zonelessCalls(sql), name).toEqual([]);
    for (const sql of inserts) expect(zonelessCalls(sql), sql).toEqual([]);
  });
});

describe('on a ClickHouse whose time zone is not UTC (current ClickHouse, session_timezone Asia/Kolkata)', () => {
  let ch: ClickHouseClient;
  // 21:10–23:50 UTC on 10 March: 02:40–05:20 on 11 March in Kolkata, where the hour it started
  // begins at 20:30 UTC.
  const start = Date.parse('2026-03-10T21:10:00Z') / 1000;
  const end = Date.parse('2026-03-10T23:50:00Z') / 1000;
  const range = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-20T00:00:00Z'), intervalSeconds: 3600 };
  const select = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
  const revenue = JSON.parse(readFileSync(new URL('../../grafana/dashboards/revenue-utilisation.json', import.meta.url), 'utf8'));
  const panel = (title: string) => select<any>(expandClickHouse(panelsOf(revenue).find((p) => p.title === title).targets[0].rawSql, range, { party: { all: true } }, {}));
  let cdrs = 0;

  beforeAll(async () => {
    type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
    ch = createClient({ connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection, clickhouse_settings: { session_timezone: 'Asia/Kolkata' } as Record<string, string> });
    const [{ tz }] = await select<{ tz: string }>('SELECT timezone() AS tz');
    expect(tz).toBe('Asia/Kolkata');
    const data = generate({ seed: 31, cdrs: 12, todayMs: Date.parse('2026-03-12T12:00:00Z'), days: 3, anomalyRate: 0 });
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const stored = (list: typeof data.cdrs, seqFrom: number) => {
      const rows = emptyRows();
      list.forEach((g, i) => {
        const cdr: Record<string, any> = { ...g.cdr, start_date_time: iso(start), end_date_time: iso(end), charging_periods: g.cdr.charging_periods.map((p: any) => ({ ...p, start_date_time: iso(start) })) };
        const p = { country_code: cdr.country_code, party_id: cdr.party_id };
        const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body: cdr, object_key: `cdrs:${cdr.id}`, sender: p, from: p, receiver: cdr.cdr_token, routing: 'direct', request_id: `r${seqFrom + i}`, correlation_id: 'c', accepted_at: iso(end + 60) };
        addOcpiMessage(rows, message, { seq: seqFrom + i, ingestedAt: end + 60 });
      });
      return writeRows(ch, rows);
    };
    const sessions = data.cdrs.filter((g) => !g.cdr.credit);
    cdrs = sessions.length;
    const half = Math.floor(cdrs / 2);

    // The migrations up to 0008 as `hub migrate` applied them, and CDRs stored under them.
    const dir = new URL('../../migrations/clickhouse/', import.meta.url);
    await ch.command({ query: 'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = TinyLog' });
    for (const file of readdirSync(dir).filter((f) => /^000[1-8]_\w+\.sql$/.test(f)).sort()) {
      for (const query of splitStatements(readFileSync(new URL(file, dir), 'utf8'))) await ch.command({ query });
      await ch.insert({ table: 'schema_migrations', values: [{ name: file }], format: 'JSONEachRow' });
    }
    await stored(sessions.slice(0, half), 1);
    const [{ local }] = await select<{ local: string }>('SELECT toString(min(day)) AS local FROM cdr_facts');
    expect(local, 'the old views filed them under the local day').toBe('2026-03-11');

    // The newer migrations, then the rest of the CDRs (and the first ones again, a redelivery).
    expect((await migrateClickHouse(ch))[0]).toBe('0009_utc_days.sql');
    await stored(sessions.slice(half), 100);
    await stored(sessions.slice(0, half), 200);
    await refreshRollups(ch);
  }, 120_000);

  afterAll(async () => {
    await ch?.close();
  });

  it('cdr_facts files each CDR once, under its UTC day and start hour', async () => {
    expect(await select('SELECT toString(day) AS day, toUInt32(start_hour) AS start_hour, toUInt32(count()) AS n FROM cdr_facts FINAL GROUP BY day, start_hour')).toEqual([
      { day: '2026-03-10', start_hour: Date.parse('2026-03-10T21:00:00Z') / 1000, n: cdrs },
    ]);
  });

  it('the rollups count them on the UTC day and hour', async () => {
    expect(await select('SELECT toString(day) AS day, toUInt32(sum(cdrs)) AS n FROM revenue_daily FINAL GROUP BY day')).toEqual([{ day: '2026-03-10', n: cdrs }]);
    expect(await select('SELECT toString(day) AS day, toUInt32(hour) AS hour, toUInt32(sum(sessions)) AS n FROM location_hourly FINAL GROUP BY day, hour')).toEqual([{ day: '2026-03-10', hour: Date.parse('2026-03-10T21:00:00Z') / 1000, n: cdrs }]);
    for (const table of ['ppk_tariff_daily', 'ppk_location_daily']) expect(await select(`SELECT DISTINCT toString(day) AS day FROM ${table} FINAL`), table).toEqual([{ day: '2026-03-10' }]);
  });

  it('the panels show them on the UTC day and hour', async () => {
    expect((await panel('Revenue per currency per day (excl. VAT)')).map((r) => r.time.slice(0, 10))).toEqual(expect.arrayContaining(['2026-03-10']));
    expect(new Set((await panel('Revenue per currency per day (excl. VAT)')).map((r) => r.time))).toEqual(new Set(['2026-03-10 00:00:00']));
    expect((await panel('Energy per day (kWh)')).map((r) => r.time)).toEqual(['2026-03-10 00:00:00']);
    expect((await panel('Peak hours (sessions by hour of day, UTC)')).map((r) => [r.hour_of_day, Number(r.session_count)])).toEqual([['21', cdrs]]);
  });

  it('a range ending at the UTC midnight before them leaves them out', async () => {
    const before = { ...range, to: new Date('2026-03-09T23:59:59Z') };
    const sql = panelsOf(revenue).find((p) => p.title === 'Energy per day (kWh)').targets[0].rawSql;
    expect(await select(expandClickHouse(sql, before, { party: { all: true } }, {}))).toEqual([]);
  });
});
