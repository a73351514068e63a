// The ingester's TabSeparated inserts against the real ClickHouse 18.16: every string (tabs, line
// breaks, backslashes, quotes, NUL, any Unicode), NULL, Decimal and DateTime comes back as written.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { tables } from '../../pipelines/ingest/tsv.ts';
import { testConfig } from '../support/hub.ts';

const base = testConfig({ PORT: '18080' });
const database = `${base.CLICKHOUSE_DATABASE}_tsv_${randomBytes(3).toString('hex')}`;
const ch = createClickHouse(base.CLICKHOUSE_URL, database);

beforeAll(async () => {
  await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
  await migrateClickHouse(ch);
});

afterAll(async () => {
  await ch.close();
  await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
});

const party = { country_code: 'NL', party_id: 'CPA' };
const message = (module: string, event: OcpiPushMessage['event'], body: object, path: string[] = []): OcpiPushMessage => ({ module, event, path, body, object_key: 'k', sender: party, from: party, receiver: { country_code: 'DE', party_id: 'MSB' }, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:00:00Z' });
const select = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

describe('TabSeparated inserts', () => {
  it.each(Object.values(tables).map((t) => [t.table, t] as const))('name every column of %s, with its DateTime columns', async (table, spec) => {
    const columns = await select<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = '${database}' AND table = '${table}'`);
    expect(new Set(spec.columns)).toEqual(new Set(columns.map((c) => c.name)));
    expect(new Set(spec.dateTimes)).toEqual(new Set(columns.filter((c) => /^(Nullable\()?DateTime\)?$/.test(c.type)).map((c) => c.name)));
  });

  it('store dates before 2001 (fewer than ten digits of unix seconds)', async () => {
    const rows = emptyRows();
    addOcpiMessage(rows, message('cdrs', 'post', { id: 'OLD1', start_date_time: '1999-12-31T23:00:00Z', end_date_time: '1999-12-31T23:59:59Z', currency: 'EUR', charging_periods: [] }), { seq: 1, ingestedAt: 5 });
    await writeRows(ch, rows);
    const [c] = await select<{ end_utc: string; last: number }>(`SELECT toString(end_ts, 'UTC') AS end_utc, toUInt32(last_updated) AS last FROM cdrs FINAL WHERE id = 'OLD1'`);
    expect(c).toEqual({ end_utc: '1999-12-31 23:59:59', last: 0 });
  });

  it('store hostile strings exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1 }), { minLength: 1, maxLength: 20 }), fc.string({ unit: 'grapheme' }), async (ids, city) => {
        const rows = emptyRows();
        const prefix = randomBytes(4).toString('hex');
        ids.forEach((id, i) =>
          addOcpiMessage(rows, message('cdrs', 'post', { id: `${prefix}${id}`, start_date_time: '2026-01-10T10:00:00Z', end_date_time: '2026-01-10T11:00:00Z', currency: 'EUR', cdr_location: { id: 'L\t1', city }, total_cost: { excl_vat: 4.5 }, charging_periods: [] }), { seq: i + 1, ingestedAt: 5 }),
        );
        // What ClickHouse cannot hold in a String: invalid UTF-16 becomes U+FFFD on the way in.
        const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
        await writeRows(ch, rows);
        const stored = await select<{ id: string; city: string; location_id: string }>(`SELECT id, city, location_id FROM cdrs FINAL WHERE startsWith(id, '${prefix}')`);
        expect(new Map(stored.map((r) => [r.id, [r.city, r.location_id]]))).toEqual(new Map(ids.map((id) => [utf8(`${prefix}${id}`), [utf8(city), 'L\t1']])));
      }),
      { numRuns: 25 },
    );
  });

  it('store NULLs, decimals, dates and JSON bodies as written', async () => {
    const rows = emptyRows();
    const tariff = { id: 'T"1', currency: 'EUR', elements: [{ price_components: [{ type: 'ENERGY', price: 0.25, step_size: 1 }] }], tariff_alt_text: [{ language: 'nl', text: 'a\\b\n"c"\t' }], last_updated: '2026-01-10T09:00:00Z' };
    addOcpiMessage(rows, message('tariffs', 'put', tariff, ['NL', 'CPA', 'T"1']), { seq: 1, ingestedAt: 5 });
    addOcpiMessage(rows, message('sessions', 'patch', { kwh: 3.25, last_updated: '2026-01-10T10:10:00Z' }, ['NL', 'CPA', 'S1']), { seq: 2, ingestedAt: 5 });
    addOcpiMessage(rows, message('cdrs', 'post', { id: 'D1', start_date_time: '2026-01-10T10:00:00Z', end_date_time: '2026-01-10T11:00:00.999Z', currency: 'EUR', total_cost: { excl_vat: 1234567.8912, incl_vat: 0.0001 }, total_energy: 0.000001, total_time: 1, charging_periods: [] }), { seq: 3, ingestedAt: 5 });
    await writeRows(ch, rows);

    const [t] = await select<{ body: string }>(`SELECT body FROM tariffs FINAL WHERE id = 'T"1'`);
    expect(JSON.parse(t.body)).toEqual(tariff);
    const [s] = await select<Record<string, unknown>>(`SELECT status, start_ts, kwh, total_cost_excl, toUInt32(last_updated) AS lu FROM session_events WHERE session_id = 'S1'`);
    expect(s).toEqual({ status: null, start_ts: null, kwh: 3.25, total_cost_excl: null, lu: Date.parse('2026-01-10T10:10:00Z') / 1000 });
    const [c] = await select<Record<string, unknown>>(`SELECT toString(total_cost_excl) AS excl, toString(total_cost_incl) AS incl, toString(total_energy) AS kwh, toUInt32(end_ts) AS end_unix, toString(end_ts, 'UTC') AS end_utc FROM cdrs FINAL WHERE id = 'D1'`);
    expect(c).toEqual({ excl: '1234567.8912', incl: '0.0001', kwh: '0.000001', end_unix: Date.parse('2026-01-10T11:00:00Z') / 1000, end_utc: '2026-01-10 11:00:00' });
  });
});
