// Every dashboard panel's SQL, expanded as Grafana and the ClickHouse plugin expand it, runs
// against ClickHouse 18.16 / Postgres holding generated data and returns the columns its panel
// type needs. Also: stable uids, datasources only through variables, provisioning files sane.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../src/store/clickhouse.ts';
import { createDb } from '../../src/store/db.ts';
import { generate } from '../../pipelines/evaluate/generator.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { testConfig } from '../support/hub.ts';
import { expandClickHouse, expandPostgres, type TimeRange, type VariableValue } from './support/grafana.ts';

const root = new URL('../../grafana/', import.meta.url);
const dashboards = readdirSync(new URL('dashboards/', root))
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(new URL(`dashboards/${file}`, root), 'utf8')) }));

const config = testConfig({ PORT: '18080' });
const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
const db = createDb(config.DATABASE_URL);
const range: TimeRange = { from: new Date(Date.now() - 400 * 86_400_000), to: new Date(Date.now() + 86_400_000), intervalSeconds: 3600 };
let parties: string[] = [];

beforeAll(async () => {
  // Generated traffic through the ingestion mapping and sink, deliveries, findings, clearing rows.
  const data = generate({ seed: 11, cdrs: 1500, todayMs: Date.now(), days: 40 });
  const rows = emptyRows();
  const now = new Date().toISOString();
  const msg = (module: string, body: any, path: string[]): OcpiPushMessage => ({ module, event: module === 'cdrs' ? 'post' : 'put', path, body, object_key: 'k', sender: { country_code: body.country_code, party_id: body.party_id }, from: { country_code: body.country_code, party_id: body.party_id }, receiver: body.cdr_token ? { country_code: body.cdr_token.country_code, party_id: body.cdr_token.party_id } : null, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: now });
  let seq = 1_000_000;
  for (const l of data.locations) addOcpiMessage(rows, msg('locations', l.body, [l.party.country_code, l.party.party_id, l.id]), { seq: seq++, ingestedAt: Math.floor(Date.now() / 1000) });
  for (const g of data.cdrs) addOcpiMessage(rows, msg('cdrs', g.cdr, []), { seq: seq++, ingestedAt: Math.floor(Date.now() / 1000) });
  rows.sessionEvents.push({ country_code: 'NL', party_id: 'CPA', session_id: 'S1', event: 'put', last_updated: Math.floor(Date.now() / 1000), status: 'ACTIVE', start_ts: Math.floor(Date.now() / 1000) - 600, end_ts: null, kwh: 3, token_uid: 'T', location_id: 'LOC1', evse_uid: 'E', connector_id: '1', currency: 'EUR', total_cost_excl: null, accepted_at: Math.floor(Date.now() / 1000), ingested_at: Math.floor(Date.now() / 1000), stream_seq: seq++ });
  for (let i = 0; i < 300; i++) {
    const cpo = data.parties.cpos[i % data.parties.cpos.length];
    const emsp = data.parties.emsps[i % data.parties.emsps.length];
    const outcome = i % 17 === 0 ? 'dead_letter' : i % 5 === 0 ? 'failed' : 'delivered';
    rows.deliveries.push({ at: Math.floor(Date.now() / 1000) - i * 600, module: i % 2 ? 'cdrs' : 'sessions', event: 'post', sender_country_code: cpo.country_code, sender_party_id: cpo.party_id, receiver_country_code: emsp.country_code, receiver_party_id: emsp.party_id, outcome, attempts: 1 + (i % 3), latency_ms: 40 + i, status_code: outcome === 'delivered' ? 1000 : 0, http_status: outcome === 'failed' ? [500, 429, 0][i % 3] : 200, ingested_at: Math.floor(Date.now() / 1000), stream_seq: i + 1 });
  }
  // Synchronous calls (src/hub/forwardSync.ts): the same table, their own outcomes; a call the hub
  // did not forward for want of a receiver it knows has none (empty country code and party id).
  const calls = [['tokens', 'authorize', 'answered', 1000], ['tokens', 'authorize', 'refused', 2004], ['commands', 'command:START_SESSION', 'answered', 1000], ['commands', 'result', 'answered', 1000], ['tokens', 'authorize', 'timeout', 4002], ['locations', 'get', 'unreachable', 4003], ['tokens', 'authorize', 'not_forwarded', 4001], ['commands', 'command:START_SESSION', 'not_forwarded', 4003]] as const;
  for (let i = 0; i < 120; i++) {
    const cpo = data.parties.cpos[i % data.parties.cpos.length];
    const emsp = data.parties.emsps[i % data.parties.emsps.length];
    const [module, event, outcome, status_code] = calls[i % calls.length];
    const [from, to] = event === 'authorize' ? [cpo, emsp] : [emsp, cpo];
    const forwarded = outcome !== 'not_forwarded';
    const named = forwarded || i % 3 !== 0;
    rows.deliveries.push({ at: Math.floor(Date.now() / 1000) - i * 900, module, event, sender_country_code: from.country_code, sender_party_id: from.party_id, receiver_country_code: named ? to.country_code : '', receiver_party_id: named ? to.party_id : '', outcome, attempts: forwarded ? 1 : 0, latency_ms: outcome === 'timeout' ? 500 : forwarded ? 20 + i : 0, status_code, http_status: outcome === 'timeout' || outcome === 'unreachable' || !forwarded ? 0 : 200, ingested_at: Math.floor(Date.now() / 1000), stream_seq: 10_000 + i });
  }
  await writeRows(ch, rows);
  // The revenue panels read the rollups the pipelines role recomputes; the backlog panels the sampler's rows.
  await refreshRollups(ch);
  const sampled = Math.floor(Date.now() / 1000);
  await ch.insert({ table: 'delivery_backlog', format: 'JSONEachRow', values: data.parties.emsps.flatMap((p, i) => [0, 900].map((ago) => ({ at: sampled - ago, receiver_country_code: p.country_code, receiver_party_id: p.party_id, status: i === 0 ? 'OFFLINE' : 'CONNECTED', pending: ago === 0 && i > 0 ? 0 : 5 + i, oldest_age_s: 60 * (i + 1), dead_letters: i % 2, sampled_at: sampled }))) });
  const findings = data.cdrs.filter((g) => g.label).slice(0, 50);
  const anomalyRows = findings.map((g) => ({ finding_key: `${g.label}:${g.cdr.id}`, type: g.label, severity: 'high', country_code: g.cdr.country_code, party_id: g.cdr.party_id, cdr_id: g.cdr.id, currency: g.cdr.currency, amount_at_risk: 1.5, evidence: '{"why":"test"}', accepted_at: Math.floor(Date.now() / 1000), detected_at: Math.floor(Date.now() / 1000) }));
  await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: anomalyRows });
  // A few withdrawn since (the detector's withdrawal rows: a copy with withdrawn_at and the reason).
  await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: anomalyRows.slice(0, 5).map((r) => ({ ...r, withdrawn_at: Math.floor(Date.now() / 1000), withdrawn_reason: 'judged again: test' })) });
  await ch.insert({ table: 'validation_findings', format: 'JSONEachRow', values: [{ detected_at: Math.floor(Date.now() / 1000), module: 'cdrs', country_code: 'NL', party_id: 'CPA', object_id: 'X', path: 'total_cost', message: 'required field missing', severity: 'error' }] });
  parties = data.parties.cpos.map((p) => `${p.country_code}*${p.party_id}`);

  await db('review_items').insert(findings.slice(0, 10).map((g, i) => ({ finding_key: `grafana-test:${g.label}:${g.cdr.id}`, country_code: g.cdr.country_code, party_id: g.cdr.party_id, cdr_id: g.cdr.id, anomaly_type: g.label, severity: 'high', evidence: i < 2 ? '{"withdrawn":{"reason":"test"}}' : '{}', status: i < 2 ? 'withdrawn' : 'open', detected_at: new Date() })));
  const [cycle] = await db('clearing_cycles').insert({ period: '2099-01', currency: 'EUR', period_start: new Date(Date.now() - 20 * 86_400_000), period_end: new Date(Date.now() - 86_400_000), state: 'netted' }).returning('id');
  await db('clearing_positions').insert([
    { cycle_id: cycle.id, party: 'NL*CPA', currency: 'EUR', receivable: 1000, payable: 0, fees: 10, carried_in: 0, net: 990, settle_amount: 990, carry_out: 0 },
    { cycle_id: cycle.id, party: 'NL*MSA', currency: 'EUR', receivable: 0, payable: 1000, fees: 10, carried_in: 20, net: -990, settle_amount: -990, carry_out: 0 },
  ]);
  const [booking] = await db('clearing_bookings').insert({ country_code: 'NL', party_id: 'CPA', cdr_id: 'GRAFANA1', kind: 'cdr', cpo: 'NL*CPA', emsp: 'NL*MSA', currency: 'EUR', amount: 1000, amount_excl_vat: 826, end_date_time: new Date(), status: 'held', hold_reason: 'test' }).returning('id');
  await db('clearing_disputes').insert({ booking_id: booking.id, opened_by: 'test', reason: 'price', suspended: true });
}, 120_000);

afterAll(async () => {
  await ch.close();
  await db.destroy();
});

const panelsOf = (d: any): any[] => d.panels.flatMap((p: any) => (p.type === 'row' ? (p.panels ?? []) : [p]));
const variableChoices = (d: any): Record<string, VariableValue>[] => {
  const hasParty = d.templating.list.some((v: any) => v.name === 'party');
  return hasParty ? [{ party: { all: true } }, { party: { all: false, values: ['NL*CPA'] } }, { party: { all: false, values: ['NL*CPA', 'DE*CPC'] } }] : [{}];
};

describe('dashboards', () => {
  it('have unique, stable uids and titles', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(['ocpi-hub-anomalies', 'ocpi-hub-clearing', 'ocpi-hub-revenue', 'ocpi-hub-traffic']);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
  });

  it('reference datasources only through variables', () => {
    for (const { json } of dashboards) {
      const uids = JSON.stringify(json).match(/"uid":\s*"[^"]*"/g) ?? [];
      for (const u of uids) if (!u.includes(json.uid)) expect(u).toMatch(/"uid":\s*"\$\{(ch|pg)\}"/);
    }
  });

  it('provisioning: both datasources, credentials from the environment, a file provider', () => {
    const ds = readFileSync(new URL('provisioning/datasources/hub.yml', root), 'utf8');
    expect(ds).toContain('type: grafana-clickhouse-datasource');
    expect(ds).toContain('type: grafana-postgresql-datasource');
    expect(ds).toMatch(/password: \$\{CLICKHOUSE_PASSWORD\}/);
    expect(ds).toMatch(/password: \$\{POSTGRES_PASSWORD\}/);
    expect(ds).not.toMatch(/password: [^$\s]/);
    const provider = readFileSync(new URL('provisioning/dashboards/hub.yml', root), 'utf8');
    expect(provider).toMatch(/type: file/);
    expect(provider).toMatch(/path: \/var\/lib\/grafana\/dashboards/);
  });
});

for (const { file, json } of dashboards) {
  describe(`${file} (${json.title})`, () => {
    for (const v of json.templating.list.filter((x: any) => x.type === 'query')) {
      it(`variable ${v.name} query runs`, async () => {
        const sql = expandClickHouse(v.query, range, {}, {});
        const result = await (await ch.query({ query: sql, format: 'JSONCompact' })).json<any>();
        expect(result.data.length).toBeGreaterThan(0);
      });
    }
    for (const panel of panelsOf(json)) {
      for (const [i, choice] of variableChoices(json).entries()) {
        it(`panel "${panel.title}" (${panel.type}, variables #${i})`, async () => {
          for (const target of panel.targets) {
            const postgres = target.datasource.type === 'grafana-postgresql-datasource';
            let columns: { name: string; type: string }[];
            let rowCount: number;
            if (postgres) {
              const sql = expandPostgres(target.rawSql, range, choice, { party: parties });
              const result = await db.raw(sql);
              columns = result.fields.map((f: any) => ({ name: f.name, type: f.dataTypeID === 1184 || f.dataTypeID === 1114 || f.dataTypeID === 1082 ? 'time' : String(f.dataTypeID) }));
              rowCount = result.rows.length;
            } else {
              const sql = expandClickHouse(target.rawSql, range, choice, { party: parties });
              const result = await (await ch.query({ query: sql, format: 'JSONCompact' })).json<any>();
              columns = (result.meta ?? []).map((m: any) => ({ name: m.name, type: /^(DateTime|Date)/.test(m.type) ? 'time' : m.type }));
              rowCount = result.data.length;
              if (i === 0) expect(rowCount, `no rows for "${panel.title}"`).toBeGreaterThan(0);
            }
            expect(columns.length).toBeGreaterThan(0);
            if (panel.type === 'timeseries') {
              expect(columns[0].type, `${panel.title}: first column must be the time`).toBe('time');
              expect(columns.length).toBeGreaterThanOrEqual(2);
            }
            if (panel.type === 'barchart') expect(columns.length).toBeGreaterThanOrEqual(2);
            if (panel.type === 'stat') expect(columns.some((c) => /Int|Float|Decimal/.test(c.type))).toBe(true);
          }
        });
      }
    }
  });
}
