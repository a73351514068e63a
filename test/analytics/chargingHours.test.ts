// Charging hours are the time a session charged, against ClickHouse 18.16: OCPI total_time is the
// whole time connected and total_parking_time (optional; absent is 0) the part not charging, so a
// CDR of 2 h with 0.5 h parking charged 1.5 h. The Revenue and utilisation dashboard's
// "Sessions and energy per location" shows 1.5 h charging and 2 h time connected, for CDRs stored
// before migration 0016 (their cdr_facts rows written again, every day rolled up again) and after.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse, splitStatements } from '../../src/store/clickhouse.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { ROLLUP_JOB } from '../../pipelines/rollups/queries.ts';
import { testConfig } from '../support/hub.ts';
import { expandClickHouse } from './support/grafana.ts';
import { panelsOf } from './support/dashboards.ts';

const base = testConfig({ PORT: '18080' });
let opened: { ch: ClickHouseClient; database: string } | null = null;

afterAll(async () => {
  if (!opened) return;
  await opened.ch.close();
  await dropClickHouseDatabase(base.CLICKHOUSE_URL, opened.database);
});

const cpo = { country_code: 'NL', party_id: 'CHX' };
const emsp = { country_code: 'DE', party_id: 'CHM' };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session at `location` starting at `startMs`: `charging` hours charging, then `parking` hours parked (no total_parking_time when 0). */
function aCdr(id: string, location: string, startMs: number, charging: number, parking: number): Record<string, any> {
  const end = startMs + (charging + parking) * HOUR;
  const periods: Record<string, any>[] = [{ start_date_time: iso(startMs), dimensions: [{ type: 'ENERGY', volume: 11 * charging }, { type: 'TIME', volume: charging }] }];
  if (parking > 0) periods.push({ start_date_time: iso(startMs + charging * HOUR), dimensions: [{ type: 'PARKING_TIME', volume: parking }] });
  return {
    ...cpo,
    id,
    start_date_time: iso(startMs),
    end_date_time: iso(end),
    session_id: `S-${id}`,
    cdr_token: { ...emsp, uid: `TOK-${id}`, type: 'RFID', contract_id: `C-${id}` },
    auth_method: 'WHITELIST',
    cdr_location: { id: location, evse_uid: `E-${id}`, evse_id: `NL*CHX*E${id}`, connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: periods,
    total_cost: { excl_vat: 5, incl_vat: 6.05 },
    total_energy: 11 * charging,
    total_time: charging + parking,
    ...(parking > 0 ? { total_parking_time: parking } : {}),
    last_updated: iso(end),
  };
}

async function store(ch: ClickHouseClient, cdrs: Record<string, any>[], seqFrom: number): Promise<void> {
  const rows = emptyRows();
  cdrs.forEach((body, i) => {
    const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body, object_key: `cdrs:${body.id}`, sender: cpo, from: cpo, receiver: emsp, routing: 'direct', request_id: `r${i}`, correlation_id: 'c', accepted_at: body.last_updated };
    addOcpiMessage(rows, message, { seq: seqFrom + i, ingestedAt: Math.floor(Date.now() / 1000) });
  });
  await writeRows(ch, rows);
}

const select = async <T>(ch: ClickHouseClient, query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboards/revenue-utilisation.json', import.meta.url), 'utf8'));
const perLocationSql = panelsOf(dashboard).find((p) => p.title === 'Sessions and energy per location').targets[0].rawSql as string;

describe('charging hours on the Revenue and utilisation dashboard', () => {
  it('are total_time minus total_parking_time (2 h with 0.5 h parking: 1.5 h), time connected total_time, for CDRs stored before migration 0016 and after', async () => {
    const database = `${base.CLICKHOUSE_DATABASE}_ch${randomBytes(3).toString('hex')}`;
    await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
    const ch = createClickHouse(base.CLICKHOUSE_URL, database);
    opened = { ch, database };

    // The migrations before 0016 as `hub migrate` applied them, and CDRs stored under them.
    const dir = new URL('../../migrations/clickhouse/', import.meta.url);
    await ch.command({ query: 'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = TinyLog' });
    for (const file of readdirSync(dir).filter((f) => /^\d{4}_\w+\.sql$/.test(f) && f < '0016').sort()) {
      for (const query of splitStatements(readFileSync(new URL(file, dir), 'utf8'))) await ch.command({ query });
      await ch.insert({ table: 'schema_migrations', values: [{ name: file }], format: 'JSONEachRow' });
    }
    const yesterday = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    await store(ch, [aCdr('OLD-PARKED', 'LOC-A', yesterday + 8 * HOUR, 1.5, 0.5), aCdr('OLD-NO-PARKING', 'LOC-B', yesterday + 9 * HOUR, 1, 0)], 1);
    const [old] = await select<{ hours: number }>(ch, "SELECT toFloat64(charging_hours) AS hours FROM cdr_facts FINAL WHERE id = 'OLD-PARKED'");
    expect(old.hours, 'before 0016 charging_hours held total_time').toBe(2);
    // A rollup run after those CDRs (its watermark later than their touches): only the migration makes their day due again.
    await sleep(1100);
    const [{ now }] = await select<{ now: number }>(ch, 'SELECT toUInt32(now()) AS now');
    await ch.insert({ table: 'rollup_runs', format: 'JSONEachRow', values: [{ job: ROLLUP_JOB, watermark: Number(now), version: 1, days: 1, finished_at: Number(now) }] });
    await sleep(1100);

    expect((await migrateClickHouse(ch))[0]).toBe('0016_charging_hours.sql');
    await store(ch, [aCdr('NEW-PARKED', 'LOC-A', yesterday + 14 * HOUR, 1.5, 0.5), aCdr('NEW-NO-PARKING', 'LOC-B', yesterday + 15 * HOUR, 1, 0)], 10);
    // A malformed CDR whose parking exceeds its total time charged nothing (not a negative amount).
    await store(ch, [{ ...aCdr('NEW-MALFORMED', 'LOC-C', yesterday + 16 * HOUR, 1, 0), total_parking_time: 3 }], 20);

    expect(await select(ch, 'SELECT id, toFloat64(charging_hours) AS charging, toFloat64(connected_hours) AS connected FROM cdr_facts FINAL ORDER BY id')).toEqual([
      { id: 'NEW-MALFORMED', charging: 0, connected: 1 },
      { id: 'NEW-NO-PARKING', charging: 1, connected: 1 },
      { id: 'NEW-PARKED', charging: 1.5, connected: 2 },
      { id: 'OLD-NO-PARKING', charging: 1, connected: 1 },
      { id: 'OLD-PARKED', charging: 1.5, connected: 2 },
    ]);

    const run = await refreshRollups(ch, { overlapS: 0 });
    expect(run.days).toEqual([new Date(yesterday).toISOString().slice(0, 10)]);
    const range = { from: new Date(yesterday - 86_400_000), to: new Date(yesterday + 2 * 86_400_000), intervalSeconds: 3600 };
    const shown = await select<any>(ch, expandClickHouse(perLocationSql, range, { party: { all: false, values: ['NL*CHX'] } }, {}));
    expect(shown.map((r) => ({ location: r.location_id, sessions: Number(r.session_count), charging: Number(r.hours_charging), connected: Number(r.hours_connected) })).sort((a, b) => a.location.localeCompare(b.location))).toEqual([
      { location: 'LOC-A', sessions: 2, charging: 3, connected: 4 },
      { location: 'LOC-B', sessions: 2, charging: 2, connected: 2 },
      { location: 'LOC-C', sessions: 1, charging: 0, connected: 1 },
    ]);
  });
});
