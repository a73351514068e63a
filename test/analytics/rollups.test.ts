// The dashboard rollups (revenue per party/currency/day, sessions and energy per location/hour,
// price per kWh per tariff and location) against ClickHouse 18.16: CDRs delivered two and three
// times count once in every group, a run recomputes only the days that received CDRs, a credited
// and re-issued session counts once in sessions and energy while revenue nets the credit, charging
// hours leave out parking (connected hours keep it), and the Revenue and utilisation panels show
// those numbers.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { generate } from '../../pipelines/evaluate/generator.ts';
import { addOcpiMessage, emptyRows, type CdrRow, type Rows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { testConfig } from '../support/hub.ts';
import { expandClickHouse } from './support/grafana.ts';

const base = testConfig({ PORT: '18080' });
const opened: { ch: ClickHouseClient; database: string }[] = [];

/** A ClickHouse database of the test's own, migrated (the rollup runs act on every day in it). */
async function ownDatabase(): Promise<ClickHouseClient> {
  const database = `${base.CLICKHOUSE_DATABASE}_r${randomBytes(3).toString('hex')}`;
  await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
  const ch = createClickHouse(base.CLICKHOUSE_URL, database);
  await migrateClickHouse(ch);
  opened.push({ ch, database });
  return ch;
}

afterAll(async () => {
  for (const { ch, database } of opened) {
    await ch.close();
    await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const push = (body: any): OcpiPushMessage => ({
  module: 'cdrs',
  event: 'post',
  path: [],
  body,
  object_key: `cdrs:${body.id}`,
  sender: { country_code: body.country_code, party_id: body.party_id },
  from: { country_code: body.country_code, party_id: body.party_id },
  receiver: { country_code: body.cdr_token.country_code, party_id: body.cdr_token.party_id },
  routing: 'direct',
  request_id: randomBytes(4).toString('hex'),
  correlation_id: 'c',
  accepted_at: new Date().toISOString(),
});

/** One delivery of these CDRs as the ingester writes it (its own stream sequences and ingestion time). */
function delivery(cdrs: any[], seqFrom: number, ingestedAt: number): Rows {
  const rows = emptyRows();
  cdrs.forEach((cdr, i) => addOcpiMessage(rows, push(cdr), { seq: seqFrom + i, ingestedAt }));
  return rows;
}

async function select<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
}

const day = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);
const hour = (unix: number) => new Date(Math.floor(unix / 3600) * 3600 * 1000).toISOString().replace('T', ' ').slice(0, 19);

/** Sums per key, computed here from the deduplicated CDR rows: the truth the rollups must equal. */
function groupBy<T>(rows: T[], key: (r: T) => string, values: (r: T) => number[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const k = key(r);
    const v = values(r);
    const acc = out.get(k) ?? v.map(() => 0);
    out.set(k, acc.map((a, i) => a + v[i]));
  }
  return out;
}

function expectSameGroups(actual: Map<string, number[]>, expected: Map<string, number[]>) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [k, want] of expected) {
    const got = actual.get(k)!;
    want.forEach((w, i) => expect(got[i], `${k} [${i}]`).toBeCloseTo(w, 4));
  }
}

/**
 * Whether each CDR is a session that counts: not a credit CDR, and not the CDR a credit CDR of the
 * same CPO party names in credit_reference_id (its corrected re-issue, if any, counts instead).
 */
function standing(cdrs: CdrRow[]): (c: CdrRow) => boolean {
  const credited = new Set(cdrs.filter((c) => c.credit === 1).map((c) => `${c.country_code}*${c.party_id}*${c.credit_reference_id}`));
  return (c) => c.credit === 0 && !credited.has(`${c.country_code}*${c.party_id}*${c.id}`);
}

// Groups are those of every CDR; inside them sessions, energy and prices count the standing ones.
const truthRevenue = (cdrs: CdrRow[]) => {
  const stands = standing(cdrs);
  return groupBy(
    cdrs,
    (c) => [day(c.end_ts), c.country_code, c.party_id, c.token_country_code, c.token_party_id, c.currency, c.credit].join('|'),
    (c) => [1, stands(c) ? 1 : 0, c.total_cost_excl, c.total_cost_incl, stands(c) ? c.total_energy : 0],
  );
};
const truthLocationHours = (cdrs: CdrRow[]) => {
  const stands = standing(cdrs);
  return groupBy(
    cdrs,
    (c) => [hour(c.start_ts), c.country_code, c.party_id, c.location_id].join('|'),
    // Charging hours leave out parking (total_time − total_parking_time); connected hours are total_time.
    (c) => (stands(c) ? [1, c.total_energy, Math.max(0, c.total_time - c.total_parking_time), c.total_time] : [0, 0, 0, 0]),
  );
};
const truthTariffPrices = (cdrs: CdrRow[]) => {
  const stands = standing(cdrs);
  return groupBy(
    cdrs.filter((c) => c.credit === 0 && c.total_energy > 0),
    (c) => [c.country_code, c.party_id, c.tariff_id, c.currency].join('|'),
    (c) => (stands(c) ? [1, c.total_cost_excl / c.total_energy] : [0, 0]),
  );
};

async function rollupRevenue(ch: ClickHouseClient) {
  const rows = await select<any>(
    ch,
    'SELECT toString(day) AS d, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit, cdrs, sessions, toFloat64(revenue_excl) AS excl, toFloat64(revenue_incl) AS incl, toFloat64(energy_kwh) AS kwh FROM revenue_daily FINAL',
  );
  return new Map(rows.map((r) => [[r.d, r.country_code, r.party_id, r.emsp_country_code, r.emsp_party_id, r.currency, r.credit].join('|'), [Number(r.cdrs), Number(r.sessions), r.excl, r.incl, r.kwh]]));
}

async function rollupLocationHours(ch: ClickHouseClient) {
  const rows = await select<any>(
    ch,
    'SELECT toString(hour) AS h, country_code, party_id, location_id, sum(sessions) AS n, toFloat64(sum(energy_kwh)) AS kwh, toFloat64(sum(charging_hours)) AS hours, toFloat64(sum(connected_hours)) AS connected FROM location_hourly FINAL GROUP BY h, country_code, party_id, location_id',
  );
  return new Map(rows.map((r) => [[r.h, r.country_code, r.party_id, r.location_id].join('|'), [Number(r.n), r.kwh, r.hours, r.connected]]));
}

async function rollupTariffPrices(ch: ClickHouseClient) {
  const rows = await select<any>(ch, 'SELECT country_code, party_id, tariff_id, currency, sum(cdrs) AS n, sum(ppk_sum) AS total FROM ppk_tariff_daily FINAL GROUP BY country_code, party_id, tariff_id, currency');
  return new Map(rows.map((r) => [[r.country_code, r.party_id, r.tariff_id, r.currency].join('|'), [Number(r.n), r.total]]));
}

/** Price-per-kWh quantiles per location: merged from the daily rollup states, and read from the CDRs. */
async function locationQuantiles(ch: ClickHouseClient) {
  const fromRollup = await select<any>(ch, "SELECT concat(country_code, '*', party_id, '*', location_id, '*', currency) AS k, sum(cdrs) AS n, quantilesMerge(0.1, 0.5, 0.9)(ppk) AS q FROM ppk_location_daily FINAL GROUP BY k");
  const fromCdrs = await select<any>(
    ch,
    `SELECT concat(country_code, '*', party_id, '*', location_id, '*', currency) AS k, count() AS n, quantiles(0.1, 0.5, 0.9)(toFloat64(revenue_excl) / toFloat64(energy_kwh)) AS q FROM cdr_facts FINAL
     WHERE credit = 0 AND energy_kwh > 0 AND (country_code, party_id, id) NOT IN (SELECT country_code, party_id, credit_reference_id FROM cdrs FINAL WHERE credit = 1) GROUP BY k`,
  );
  const asMap = (rows: any[]) => new Map(rows.filter((r) => Number(r.n) > 0).map((r) => [r.k as string, [Number(r.n), ...(r.q as number[])]]));
  return { fromRollup: asMap(fromRollup), fromCdrs: asMap(fromCdrs) };
}

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboards/revenue-utilisation.json', import.meta.url), 'utf8'));
const panelSql = (title: string) => dashboard.panels.find((p: any) => p.title === title).targets[0].rawSql as string;

describe('dashboard rollups', () => {
  it('equal the deduplicated CDRs per day, party, currency, location-hour and tariff when CDRs are delivered two and three times', async () => {
    const ch = await ownDatabase();
    const data = generate({ seed: 21, cdrs: 500, todayMs: Date.now(), days: 12, anomalyRate: 0 });
    const cdrs = data.cdrs.map((g) => g.cdr);
    const now = Math.floor(Date.now() / 1000);
    // Every CDR delivered twice before the first run (another stream sequence, a later ingestion).
    const first = delivery(cdrs, 1, now - 60);
    await writeRows(ch, first);
    await writeRows(ch, delivery(cdrs, 100_000, now - 30));
    const truth = first.cdrs;
    expect(new Set(truth.map((c) => `${c.country_code}*${c.party_id}*${c.id}`)).size).toBe(cdrs.length);
    expect(truth.some((c) => c.credit === 1)).toBe(true);

    const run1 = await refreshRollups(ch);
    expect(run1.days).toEqual([...new Set(truth.map((c) => day(c.end_ts)))].sort());
    expectSameGroups(await rollupRevenue(ch), truthRevenue(truth));
    expectSameGroups(await rollupLocationHours(ch), truthLocationHours(truth));
    expectSameGroups(await rollupTariffPrices(ch), truthTariffPrices(truth));

    // A third copy of a third of them after the rollups were computed: recomputed, not added.
    await writeRows(ch, delivery(cdrs.filter((_, i) => i % 3 === 0), 200_000, now));
    const run2 = await refreshRollups(ch);
    expect(run2.version).toBeGreaterThan(run1.version);
    expect(run2.days.length).toBeGreaterThan(0);
    expectSameGroups(await rollupRevenue(ch), truthRevenue(truth));
    expectSameGroups(await rollupLocationHours(ch), truthLocationHours(truth));
    expectSameGroups(await rollupTariffPrices(ch), truthTariffPrices(truth));
    const { fromRollup, fromCdrs } = await locationQuantiles(ch);
    expectSameGroups(fromRollup, fromCdrs);

    // What the Revenue and utilisation dashboard shows (all parties, a range covering the data).
    const range = { from: new Date((now - 40 * 86_400) * 1000), to: new Date((now + 86_400) * 1000), intervalSeconds: 3600 };
    const perParty = await select<any>(ch, expandClickHouse(panelSql('Revenue per CPO party'), range, { party: { all: true } }, {}));
    const stands = standing(truth);
    expectSameGroups(
      new Map(perParty.map((r) => [`${r.party}|${r.currency}`, [Number(r.sessions), Number(r.credit_cdrs), r.revenue_excl_vat, r.kwh]])),
      groupBy(truth, (c) => `${c.country_code}*${c.party_id}|${c.currency}`, (c) => [stands(c) ? 1 : 0, c.credit, c.total_cost_excl, stands(c) ? c.total_energy : 0]),
    );
    const perDay = await select<any>(ch, expandClickHouse(panelSql('Revenue per currency per day (excl. VAT)'), range, { party: { all: true } }, {}));
    expectSameGroups(
      new Map(perDay.map((r) => [`${r.time.slice(0, 10)}|${r.currency}`, [r.revenue]])),
      groupBy(truth, (c) => `${day(c.end_ts)}|${c.currency}`, (c) => [c.total_cost_excl]),
    );
    const peak = await select<any>(ch, expandClickHouse(panelSql('Peak hours (sessions by hour of day, UTC)'), range, { party: { all: true } }, {}));
    expectSameGroups(
      new Map(peak.map((r) => [r.hour_of_day, [Number(r.session_count), r.kwh]])),
      groupBy(truth, (c) => String(new Date(c.start_ts * 1000).getUTCHours()), (c) => (stands(c) ? [1, c.total_energy] : [0, 0])),
    );
  });

  it('count a credited and re-issued session once in sessions and energy, and its revenue as original − credit + re-issue, also when the credit ends on a later day', async () => {
    const ch = await ownDatabase();
    const data = generate({ seed: 23, cdrs: 20, todayMs: Date.now(), days: 3, anomalyRate: 0 });
    // A CPO party of its own, so every group below holds only this session's CDRs.
    const base = data.cdrs.map((g) => g.cdr).find((c) => !c.credit && c.total_energy > 0 && c.total_cost.excl_vat > 1)!;
    const original: Record<string, any> = { ...structuredClone(base), party_id: 'CRX', id: 'CRX-ORIGINAL' };
    const negate = (m: { excl_vat: number; incl_vat: number } | undefined) => m && { excl_vat: -m.excl_vat, incl_vat: -m.incl_vat };
    // The credit repeats the session (energy, location, start) but is dated when it was issued, two days later.
    const later = (iso: string) => new Date(Date.parse(iso) + 2 * 86_400_000).toISOString();
    const credit = {
      ...structuredClone(original),
      id: 'CRX-CREDIT',
      credit: true,
      credit_reference_id: original.id,
      end_date_time: later(original.end_date_time),
      last_updated: later(original.last_updated),
      total_cost: negate(original.total_cost),
      total_energy_cost: negate(original.total_energy_cost),
      total_time_cost: negate(original.total_time_cost),
      total_fixed_cost: negate(original.total_fixed_cost),
      total_parking_cost: negate(original.total_parking_cost),
    };
    const reissue = { ...structuredClone(original), id: 'CRX-REISSUE', total_cost: { excl_vat: Math.round(original.total_cost.excl_vat * 80) / 100, incl_vat: Math.round(original.total_cost.incl_vat * 80) / 100 } };
    const now = Math.floor(Date.now() / 1000);
    const party = { party: { all: false as const, values: [`${original.country_code}*CRX`] } };
    const range = { from: new Date((now - 40 * 86_400) * 1000), to: new Date((now + 5 * 86_400) * 1000), intervalSeconds: 3600 };
    const panel = (title: string) => select<any>(ch, expandClickHouse(panelSql(title), range, party, {}));
    const energy = original.total_energy;

    // The original alone, rolled up: one session.
    const first = delivery([original], 1, now - 60);
    await writeRows(ch, first);
    await sleep(1100); // the watermark is in whole seconds: the original's touch is before the first run's
    await refreshRollups(ch, { overlapS: 0 });
    expect((await panel('Revenue per CPO party')).map((r) => [Number(r.sessions), r.kwh])).toEqual([[1, expect.closeTo(energy, 4)]]);

    // Then its credit (delivered twice), dated on another day: the next run must revisit the original's day too.
    const credited = delivery([credit, credit], 10, now);
    await writeRows(ch, credited);
    await sleep(1100);
    const [o, c] = [first.cdrs[0], credited.cdrs[0]];
    expect(day(c.end_ts)).not.toBe(day(o.end_ts));
    const creditRun = await refreshRollups(ch, { overlapS: 0 });
    expect(creditRun.days).toEqual([day(o.end_ts), day(c.end_ts)].sort());
    expect((await panel('Revenue per CPO party')).map((x) => [Number(x.sessions), Number(x.credit_cdrs), x.kwh, x.revenue_excl_vat])).toEqual([[0, 1, 0, expect.closeTo(0, 4)]]);

    // And the corrected re-issue (delivered twice).
    const reissued = delivery([reissue, reissue], 20, now + 1);
    await writeRows(ch, reissued);
    await sleep(1100);
    await refreshRollups(ch, { overlapS: 0 });
    const r = reissued.cdrs[0];

    const perParty = await panel('Revenue per CPO party');
    expect(perParty).toHaveLength(1);
    expect(Number(perParty[0].sessions)).toBe(1);
    expect(Number(perParty[0].credit_cdrs)).toBe(1);
    expect(perParty[0].kwh).toBeCloseTo(energy, 4);
    expect(perParty[0].revenue_excl_vat).toBeCloseTo(o.total_cost_excl + c.total_cost_excl + r.total_cost_excl, 4);
    expect(perParty[0].revenue_excl_vat).toBeCloseTo(r.total_cost_excl, 4);

    const energyPerDay = await panel('Energy per day (kWh)');
    expect(energyPerDay.reduce((sum, x) => sum + x.kwh, 0)).toBeCloseTo(energy, 4);
    expect(energyPerDay.filter((x) => x.kwh !== 0).map((x) => x.time.slice(0, 10))).toEqual([day(r.end_ts)]);

    const perSession = await panel('Revenue per session');
    expect(perSession.map((x) => [Number(x.sessions), x.avg_excl_vat, x.median_excl_vat, x.avg_kwh])).toEqual([[1, expect.closeTo(r.total_cost_excl, 3), expect.closeTo(r.total_cost_excl, 3), expect.closeTo(energy, 2)]]);

    const peak = await panel('Peak hours (sessions by hour of day, UTC)');
    expect(peak.reduce((sum, x) => sum + Number(x.session_count), 0)).toBe(1);
    expect(peak.reduce((sum, x) => sum + x.kwh, 0)).toBeCloseTo(energy, 4);
    const perLocation = await panel('Sessions and energy per location');
    expect(perLocation.map((x) => [Number(x.session_count), x.kwh])).toEqual([[1, expect.closeTo(energy, 4)]]);
    const tariffs = await panel('Popular tariffs (price per kWh excl. VAT)');
    expect(tariffs.map((x) => [Number(x.cdr_count), x.avg_per_kwh])).toEqual([[1, expect.closeTo(r.total_cost_excl / energy, 3)]]);

    // And the rollups equal the truth computed here, group by group.
    const all = [o, c, r];
    expectSameGroups(await rollupRevenue(ch), truthRevenue(all));
    expectSameGroups(await rollupLocationHours(ch), truthLocationHours(all));
    expectSameGroups(await rollupTariffPrices(ch), truthTariffPrices(all));
  });

  it('recompute only the days that received CDRs since the last run, a late CDR included, and nothing when none came', async () => {
    const ch = await ownDatabase();
    const data = generate({ seed: 22, cdrs: 200, todayMs: Date.now(), days: 8, anomalyRate: 0 });
    const cdrs = data.cdrs.map((g) => g.cdr);
    const now = Math.floor(Date.now() / 1000);
    const first = delivery(cdrs, 1, now);
    await writeRows(ch, first);
    // Touches from a quarter ago: a partition no run reads again, dropped once a run has a watermark.
    await ch.insert({ table: 'rollup_touched_days', format: 'JSONEachRow', values: [{ day: '2000-01-01', touched_at: now - 100 * 86_400 }] });
    await sleep(1100); // the watermark is in whole seconds: these touches are before the first run's
    const run1 = await refreshRollups(ch, { overlapS: 0 });
    expect(run1.days.length).toBeGreaterThanOrEqual(8);
    const before = await rollupRevenue(ch);

    // A CDR for a session that ended days ago arrives now, and one CDR of another day is redelivered.
    const old = first.cdrs.find((c) => day(c.end_ts) === run1.days[1])!;
    const oldBody = cdrs.find((c) => c.id === old.id && c.party_id === old.party_id);
    const late = { ...oldBody, id: `LATE-${old.id}` };
    const again = first.cdrs.find((c) => day(c.end_ts) === run1.days[3])!;
    const againBody = cdrs.find((c) => c.id === again.id && c.party_id === again.party_id);
    await writeRows(ch, delivery([late, againBody], 500_000, now + 1));
    await sleep(1100);
    const run2 = await refreshRollups(ch, { overlapS: 0 });
    expect(run2.days).toEqual([run1.days[1], run1.days[3]]);
    const after = await rollupRevenue(ch);
    const lateKey = [day(old.end_ts), old.country_code, old.party_id, old.token_country_code, old.token_party_id, old.currency, old.credit].join('|');
    const lateStands = old.credit === 0; // a new id: no credit CDR names it
    for (const [k, v] of before) {
      if (k === lateKey) expect(after.get(k)).toEqual([v[0] + 1, v[1] + (lateStands ? 1 : 0), v[2] + old.total_cost_excl, v[3] + old.total_cost_incl, v[4] + (lateStands ? old.total_energy : 0)].map((x, i) => (i < 2 ? x : expect.closeTo(x, 4))));
      else expect(after.get(k), k).toEqual(v);
    }
    const partitions = await select<{ partition: string }>(ch, "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = 'rollup_touched_days' AND active");
    expect(partitions.map((p) => p.partition)).not.toContain(new Date((now - 100 * 86_400) * 1000).toISOString().slice(0, 7).replace('-', ''));

    const run3 = await refreshRollups(ch, { overlapS: 0 });
    expect(run3.days).toEqual([]);
    expect(run3.version).toBe(run2.version);
  });
});
