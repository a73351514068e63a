// CDR ids are CiStrings: a credit CDR may name its original in another case (credit_reference_id
// "ci-a1" for the CDR "CI-A1"). Against ClickHouse 18.16, the dashboards' rollups and the drift
// rule's daily sessions must leave that original out (the session is billed once, by its
// re-issue), and the next rollup run must revisit the original's day when the credit is dated
// another day.
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { dailyVolumes } from '../../pipelines/anomalies/queries.ts';
import { clickHouseDatabases } from './support/clickhouseDatabases.ts';

const databases = clickHouseDatabases();
afterAll(databases.dropAll);

const cpo = { country_code: 'NL', party_id: 'CIK' };
const emsp = { country_code: 'DE', party_id: 'CIM' };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const money = (excl: number) => ({ excl_vat: excl, incl_vat: Math.round(excl * 121) / 100 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function aCdr(id: string, end: number, excl: number, extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    ...cpo,
    id,
    start_date_time: iso(end - HOUR),
    end_date_time: iso(end),
    session_id: 'S-CI-1',
    cdr_token: { ...emsp, uid: 'TOK-CI-1', type: 'RFID', contract_id: 'C-CI-1' },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'L1', evse_uid: 'E1', evse_id: 'NL*CIK*E1', connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(end - HOUR), dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }] }],
    total_cost: money(excl),
    total_energy: 10,
    total_time: 1,
    last_updated: iso(end),
    ...extra,
  };
}

async function store(ch: ClickHouseClient, cdrs: Record<string, any>[], seq: number): Promise<void> {
  const rows = emptyRows();
  cdrs.forEach((body, i) => {
    const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body, object_key: `cdrs:${body.id}`, sender: cpo, from: cpo, receiver: emsp, routing: 'direct', request_id: `r${seq + i}`, correlation_id: 'c', accepted_at: body.last_updated };
    addOcpiMessage(rows, message, { seq: seq + i, ingestedAt: Math.floor(Date.now() / 1000) });
  });
  await writeRows(ch, rows);
}

describe('a credit CDR naming its original in another case', () => {
  it('leaves the original out of the rollups and of the drift sessions, and the rollups revisit its day', async () => {
    const ch = await databases.open('ci');

    // Yesterday noon: the original and its corrected re-issue (sent before the credit).
    const end = Date.parse(`${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T12:00:00Z`);
    const day = iso(end).slice(0, 10);
    await store(ch, [aCdr('CI-A1', end, 5), aCdr('RE-CI-A1', end, 4)], 1);
    await sleep(1100); // the watermark is in whole seconds
    await refreshRollups(ch, { overlapS: 0 });
    const sessions = async () => Number((await (await ch.query({ query: `SELECT sum(sessions) AS n FROM revenue_daily FINAL WHERE party_id = 'CIK' AND day = toDate('${day}')`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    expect(await sessions()).toBe(2);

    // The credit, dated today, names the original in lower case.
    const creditEnd = end + 86_400_000;
    await store(ch, [aCdr('CR-CI-A1', creditEnd, -5, { credit: true, credit_reference_id: 'ci-a1', end_date_time: iso(creditEnd), last_updated: iso(creditEnd) })], 10);
    await sleep(1100);
    const run = await refreshRollups(ch, { overlapS: 0 });
    expect(run.days).toContain(day);
    expect(await sessions()).toBe(1);

    const volumes = await dailyVolumes(ch, { days: [day] });
    expect(volumes.get('NL*CIK*EUR')?.series.map((s) => [s.day, s.cdrs])).toEqual([[day, 1]]);
  });
});

describe('a CDR stored under two spellings of its id', () => {
  it('counts once in the rollups and in the drift sessions', async () => {
    const ch = await databases.open('cj');

    // As a hub comparing ids as spelled accepted it twice (or an import published it again).
    const end = Date.parse(`${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T12:00:00Z`);
    const day = iso(end).slice(0, 10);
    await store(ch, [aCdr('CI-TWICE-1', end, 5), aCdr('ci-twice-1', end, 5)], 1);
    await refreshRollups(ch, { overlapS: 0 });
    const [row] = await (await ch.query({ query: `SELECT sum(sessions) AS n, sum(cdrs) AS cdrs, toFloat64(sum(revenue_excl)) AS excl FROM revenue_daily FINAL WHERE party_id = 'CIK' AND day = toDate('${day}')`, format: 'JSONEachRow' })).json<{ n: string; cdrs: string; excl: number }>();
    expect([Number(row.n), Number(row.cdrs), row.excl]).toEqual([1, 1, 5]);
    const volumes = await dailyVolumes(ch, { days: [day] });
    expect(volumes.get('NL*CIK*EUR')?.series.map((s) => [s.day, s.cdrs, s.revenue])).toEqual([[day, 1, 5]]);
  });
});
