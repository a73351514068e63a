// What the Billing anomalies panels show, on ClickHouse 18.16 with findings of both signs in two
// currencies: amounts at risk add up whatever their sign and never across currencies, the
// findings on accepted CDRs name their rule and severity, and a withdrawn finding is left out of
// every count and list but the withdrawn ones, which say why.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { testConfig } from '../support/hub.ts';
import { panelsOf } from './support/dashboards.ts';
import { expandClickHouse } from './support/grafana.ts';

const base = testConfig({ PORT: '18080' });
const database = `${base.CLICKHOUSE_DATABASE}_ba_${randomBytes(3).toString('hex')}`;
const ch = createClickHouse(base.CLICKHOUSE_URL, database);
const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboards/billing-anomalies.json', import.meta.url), 'utf8'));
const now = Math.floor(Date.now() / 1000);
const range = { from: new Date((now - 86_400) * 1000), to: new Date((now + 60) * 1000), intervalSeconds: 60 };
const panel = async (title: string, party: string[] | null = null) => {
  const sql = panelsOf(dashboard).find((p) => p.title === title).targets[0].rawSql;
  return (await ch.query({ query: expandClickHouse(sql, range, { party: party ? { all: false, values: party } : { all: true } }, {}), format: 'JSONEachRow' })).json<any>();
};

const finding = (key: string, currency: string, amount: number, party = 'CPA') => ({
  finding_key: key,
  type: 'price_mismatch',
  severity: 'high',
  country_code: 'NL',
  party_id: party,
  cdr_id: key,
  currency,
  amount_at_risk: amount,
  evidence: '{}',
  accepted_at: now - 100,
  detected_at: now - 60,
});

beforeAll(async () => {
  await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
  await migrateClickHouse(ch);
  // An overcharge and an undercharge in EUR, one in GBP, for one party and type; one for another party.
  await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: [finding('A1', 'EUR', 10), finding('A2', 'EUR', -4), finding('A3', 'GBP', 3), finding('B1', 'EUR', -2.5, 'CPB'), finding('W1', 'EUR', 100)] });
  // W1 withdrawn since, as the detector withdraws (a copy of the finding, same detected_at, stored later).
  await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: [{ ...finding('W1', 'EUR', 100), withdrawn_at: now - 10, withdrawn_reason: 'judged again: within the usual range' }] });
  await ch.insert({
    table: 'validation_findings',
    format: 'JSONEachRow',
    values: [{ detected_at: now - 60, module: 'cdrs', country_code: 'NL', party_id: 'CPA', object_id: 'A1', rule: 'price_mismatch', path: 'total_cost', message: 'total_cost differs from the tariff', severity: 'warning' }],
  });
});

afterAll(async () => {
  await ch.close();
  await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
});

describe('Billing anomalies panels on ClickHouse 18.16', () => {
  it('amount at risk per currency: one row per currency, in order, amounts added whatever their sign', async () => {
    expect(await panel('Amount at risk per currency')).toEqual([
      { currency: 'EUR', amount_at_risk: 16.5 },
      { currency: 'GBP', amount_at_risk: 3 },
    ]);
    expect(await panel('Amount at risk per currency', ['NL*CPA'])).toEqual([
      { currency: 'EUR', amount_at_risk: 14 },
      { currency: 'GBP', amount_at_risk: 3 },
    ]);
  });

  it('anomalies by party: one row per party, type and currency', async () => {
    const rows = await panel('Anomalies by party');
    expect(rows.map((r) => [r.party, r.type, r.currency, Number(r.findings), r.amount_at_risk]).sort()).toEqual(
      [
        ['NL*CPA', 'price_mismatch', 'EUR', 2, 14],
        ['NL*CPA', 'price_mismatch', 'GBP', 1, 3],
        ['NL*CPB', 'price_mismatch', 'EUR', 1, 2.5],
      ].sort(),
    );
  });

  it('a withdrawn finding is in no count or list of standing findings, and listed as withdrawn with its reason', async () => {
    expect((await panel('Anomalies by type')).map((r) => [r.type, Number(r.findings)])).toEqual([['price_mismatch', 4]]);
    expect((await panel('Anomaly trend')).reduce((n, r) => n + Number(r.findings), 0)).toBe(4);
    expect((await panel('Latest anomalies with evidence')).map((r) => r.cdr_id).sort()).toEqual(['A1', 'A2', 'A3', 'B1']);
    expect(await panel('Withdrawn findings')).toEqual([expect.objectContaining({ cdr_id: 'W1', party: 'NL*CPA', amount_at_risk: 100, withdrawn_reason: 'judged again: within the usual range' })]);
    expect(await panel('Withdrawn findings', ['NL*CPB'])).toEqual([]);
  });

  it('validation findings on accepted CDRs show the rule and severity', async () => {
    expect(await panel('Validation findings on accepted CDRs')).toEqual([
      expect.objectContaining({ party: 'NL*CPA', cdr_id: 'A1', rule: 'price_mismatch', severity: 'warning', path: 'total_cost', message: 'total_cost differs from the tariff' }),
    ]);
  });
});
