// Our ClickHouse SQL on current ClickHouse. The other analytics tests run on the 18.16 server of
// scripts/services.sh; the project's rule is that all our SQL runs there and on current ClickHouse.
// Here the same code sends the same SQL to ClickHouse 26.x embedded in the test process (chdb,
// see support/chdb.ts): every migration statement, the ingester's inserts of generated traffic,
// the anomaly detector's queries, the rollup runs, `hub pipelines status`, and every ClickHouse
// panel and variable of every dashboard in grafana/dashboards/ expanded as Grafana expands it.
import type { ClickHouseClient } from '@clickhouse/client';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateClickHouse, splitStatements } from '../../src/store/clickhouse.ts';
import { createDb } from '../../src/store/db.ts';
import type { HubDeps } from '../../src/deps.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { pipelinesStatus } from '../../src/cli/pipelinesStatus.ts';
import { generate, type Generated } from '../../pipelines/evaluate/generator.ts';
import { addOcpiMessage, emptyRows, type CdrRow } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import * as anomalyQueries from '../../pipelines/anomalies/queries.ts';
import { judgeAllDrift } from '../../pipelines/anomalies/drift.ts';
import * as rollupQueries from '../../pipelines/rollups/queries.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { testConfig } from '../support/hub.ts';
import { chdbClickHouse, type ChdbClickHouse } from './support/chdb.ts';
import { clickHouseVariables, columnProblems, loadDashboards, onClickHouse, panelColumns, panelsOf } from './support/dashboards.ts';
import { expandClickHouse, type TimeRange, type VariableValue } from './support/grafana.ts';

// `hub pipelines status` opens its own client from CLICKHOUSE_URL: here it gets the chdb one.
const current = vi.hoisted(() => ({ client: undefined as ClickHouseClient | undefined }));
vi.mock('../../src/store/clickhouse.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/store/clickhouse.ts')>()),
  createClickHouse: () => current.client!,
}));

const migrationsDir = new URL('../../migrations/clickhouse/', import.meta.url);
const migrationFiles = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();

const DAY = 86_400;
const nowS = () => Math.floor(Date.now() / 1000);

let ch: ChdbClickHouse;
let version = '';
let applied: string[] = [];
let migrationCommands: string[] = [];
let data: Generated;
let cdrs: CdrRow[] = [];

const push = (module: string, event: OcpiPushMessage['event'], body: any, path: string[], findings?: OcpiPushMessage['findings']): OcpiPushMessage => ({
  module,
  event,
  path,
  body,
  object_key: `${module}:${body.id}`,
  sender: { country_code: body.country_code, party_id: body.party_id },
  from: { country_code: body.country_code, party_id: body.party_id },
  receiver: body.cdr_token ? { country_code: body.cdr_token.country_code, party_id: body.cdr_token.party_id } : null,
  routing: 'direct',
  request_id: 'r',
  correlation_id: 'c',
  accepted_at: new Date().toISOString(),
  ...(findings ? { findings } : {}),
});

beforeAll(async () => {
  ch = chdbClickHouse();
  current.client = ch.client;
  [{ version }] = await (await ch.client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })).json<{ version: string }>();

  // The migrations exactly as `hub migrate` applies them (a refused statement fails here, named).
  applied = await migrateClickHouse(ch.client);
  migrationCommands = ch.issued.filter((q) => q.kind === 'command').map((q) => q.sql);

  // Generated traffic through the ingestion mapping and the ingester's TabSeparated inserts:
  // locations, tariffs, CDRs (some carrying validation findings), session updates, deliveries and
  // forwarded synchronous calls; then the sampler's backlog rows and the detector's findings.
  data = generate({ seed: 11, cdrs: 1500, todayMs: Date.now(), days: 40 });
  const rows = emptyRows();
  let seq = 1;
  const env = () => ({ seq: seq++, ingestedAt: nowS() });
  for (const l of data.locations) addOcpiMessage(rows, push('locations', 'put', l.body, [l.party.country_code, l.party.party_id, l.id]), env());
  for (const t of data.tariffs) addOcpiMessage(rows, push('tariffs', 'put', t, [String(t.country_code), String(t.party_id), t.id]), env());
  data.cdrs.forEach((g, i) => {
    const findings = i % 50 === 0 ? [{ rule: 'price_mismatch', severity: 'warning' as const, path: 'total_cost', message: 'total_cost differs from the tariff' }] : undefined;
    addOcpiMessage(rows, push('cdrs', 'post', g.cdr, [], findings), env());
  });
  for (const g of data.cdrs.slice(0, 60)) {
    const c = g.cdr;
    const session = { country_code: c.country_code, party_id: c.party_id, id: c.session_id, start_date_time: c.start_date_time, kwh: c.total_energy, cdr_token: c.cdr_token, auth_method: c.auth_method, location_id: c.cdr_location.id, evse_uid: c.cdr_location.evse_uid, connector_id: c.cdr_location.connector_id, currency: c.currency, status: 'ACTIVE', last_updated: c.start_date_time };
    addOcpiMessage(rows, push('sessions', 'put', session, [c.country_code, c.party_id, c.session_id]), env());
    addOcpiMessage(rows, push('sessions', 'patch', { status: 'COMPLETED', end_date_time: c.end_date_time, total_cost: c.total_cost, last_updated: c.end_date_time }, [c.country_code, c.party_id, c.session_id]), env());
  }
  const outcomes = [['cdrs', 'post', 'delivered', 1000], ['sessions', 'put', 'failed', 0], ['cdrs', 'post', 'dead_letter', 0], ['tokens', 'authorize', 'answered', 1000], ['tokens', 'authorize', 'refused', 2004], ['commands', 'command:START_SESSION', 'timeout', 4002], ['locations', 'get', 'unreachable', 4003], ['tokens', 'authorize', 'not_forwarded', 4001], ['commands', 'command:STOP_SESSION', 'not_forwarded', 4003]] as const;
  for (let i = 0; i < 420; i++) {
    const cpo = data.parties.cpos[i % data.parties.cpos.length];
    const emsp = data.parties.emsps[i % data.parties.emsps.length];
    const [module, event, outcome, status_code] = outcomes[i % outcomes.length];
    // A call the hub did not forward names no receiver when it had none (4001 without OCPI-to-*).
    const named = outcome !== 'not_forwarded' || status_code !== 4001 || i % 2 === 0;
    rows.deliveries.push({ at: nowS() - i * 600, module, event, sender_country_code: cpo.country_code, sender_party_id: cpo.party_id, receiver_country_code: named ? emsp.country_code : '', receiver_party_id: named ? emsp.party_id : '', outcome, attempts: outcome === 'not_forwarded' ? 0 : 1 + (i % 3), latency_ms: outcome === 'not_forwarded' ? 0 : 20 + i, status_code, http_status: outcome === 'failed' ? 503 : outcome === 'timeout' || outcome === 'unreachable' || outcome === 'not_forwarded' ? 0 : 200, ingested_at: nowS(), stream_seq: seq++ });
  }
  await writeRows(ch.client, rows);
  cdrs = rows.cdrs;

  const sampled = nowS();
  await ch.client.insert({ table: 'delivery_backlog', format: 'JSONEachRow', values: data.parties.emsps.flatMap((p, i) => [0, 900].map((ago) => ({ at: sampled - ago, receiver_country_code: p.country_code, receiver_party_id: p.party_id, status: i === 0 ? 'OFFLINE' : 'CONNECTED', pending: ago === 0 && i > 0 ? 0 : 5 + i, oldest_age_s: 60 * (i + 1), dead_letters: i % 2, sampled_at: sampled }))) });
  const labelled = data.cdrs.filter((g) => g.label).slice(0, 50);
  await ch.client.insert({ table: 'anomalies', format: 'JSONEachRow', values: labelled.map((g) => ({ finding_key: `${g.label}:${g.cdr.id}`, type: g.label, severity: 'high', country_code: g.cdr.country_code, party_id: g.cdr.party_id, cdr_id: g.cdr.id, currency: g.cdr.currency, amount_at_risk: 1.5, evidence: '{"why":"test"}', accepted_at: nowS(), detected_at: nowS() })) });

  // The dashboard rollups, as the pipelines role recomputes them.
  await refreshRollups(ch.client);
}, 120_000);

afterAll(async () => {
  await ch?.close();
});

describe('current ClickHouse (chdb)', () => {
  it('is a current release, not the 18.16 server', () => {
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(24);
  });
});

describe('migrations on current ClickHouse', () => {
  it('every file applies, every statement in order', () => {
    expect(applied).toEqual(migrationFiles);
    const statements = migrationFiles.flatMap((f) => splitStatements(readFileSync(new URL(f, migrationsDir), 'utf8')));
    const expected = new Set(statements);
    expect(migrationCommands.filter((sql) => expected.has(sql))).toEqual(statements);
  });

  it('a second run finds nothing to do', async () => {
    expect(await migrateClickHouse(ch.client)).toEqual([]);
  });

  it('the ingester wrote every table it writes to', async () => {
    const counts = await (
      await ch.client.query({
        query: `SELECT 'cdrs' AS t, count() AS n FROM cdrs UNION ALL SELECT 'periods', count() FROM cdr_charging_periods UNION ALL SELECT 'tariffs', count() FROM tariffs
          UNION ALL SELECT 'locations', count() FROM locations UNION ALL SELECT 'connectors', count() FROM connectors UNION ALL SELECT 'session_events', count() FROM session_events
          UNION ALL SELECT 'deliveries', count() FROM deliveries UNION ALL SELECT 'validation_findings', count() FROM validation_findings`,
        format: 'JSONEachRow',
      })
    ).json<{ t: string; n: string }>();
    for (const { t, n } of counts) expect(Number(n), t).toBeGreaterThan(0);
  });
});

describe('anomaly detector queries (pipelines/anomalies/queries.ts)', () => {
  const covered = ['neighbours', 'tariffsByKey', 'locationFacts', 'pricePerKwhStats', 'dailyVolumes', 'storedDriftFindings', 'standingCdrFindings', 'locationPowerScope'];

  it('every exported query is run below', () => {
    const exported = Object.entries(anomalyQueries).filter(([, v]) => typeof v === 'function').map(([k]) => k);
    expect(exported.sort(), 'a new query in queries.ts: add it to this test').toEqual([...covered].sort());
  });

  it('neighbours: stored CDRs sharing a session or a token', async () => {
    const some = cdrs.slice(0, 40);
    const found = await anomalyQueries.neighbours(ch.client, some.map((c) => c.session_key), some.map((c) => [c.token_country_code, c.token_party_id, c.token_uid]));
    expect(found.length).toBeGreaterThanOrEqual(some.length);
    expect(found.every((c) => Number.isFinite(c.stream_seq) && Number.isFinite(c.total_cost_excl))).toBe(true);
  });

  it('tariffsByKey: the latest version of each tariff', async () => {
    const found = await anomalyQueries.tariffsByKey(ch.client, data.tariffs.map((t) => [String(t.country_code), String(t.party_id), t.id]));
    expect(found.size).toBe(new Set(data.tariffs.map((t) => `${t.country_code}*${t.party_id}*${t.id}`)).size);
  });

  it('locationFacts: connector power and location time zone', async () => {
    const connectors = data.locations.flatMap((l) => l.connectors.map((c) => [l.party.country_code, l.party.party_id, l.id, c.evse_uid, c.connector_id] as [string, string, string, string, string]));
    const { powerW, timeZone } = await anomalyQueries.locationFacts(ch.client, connectors);
    expect(powerW.size).toBe(connectors.length);
    expect(timeZone.size).toBe(data.locations.length);
  });

  it('locationFacts: a power PATCH reaches the power, by argMaxIf over the fields each row carries', async () => {
    const l = data.locations[0];
    const c = l.connectors[0];
    const rows = emptyRows();
    const path = [l.party.country_code, l.party.party_id, l.id, c.evse_uid, c.connector_id];
    addOcpiMessage(rows, push('locations', 'patch', { id: c.connector_id, country_code: l.party.country_code, party_id: l.party.party_id, max_electric_power: 1234, last_updated: new Date().toISOString() }, path), { seq: 9_999_990, ingestedAt: nowS() });
    await writeRows(ch.client, rows);
    const key = path as [string, string, string, string, string];
    expect((await anomalyQueries.locationFacts(ch.client, [key])).powerW.get(key.join('*'))).toBe(1234);
  });

  it('storedDriftFindings: a withdrawal replaces its finding under FINAL, by key and by party', async () => {
    const party = data.parties.cpos[0];
    const key = `party_volume_drift:${party.country_code}*${party.party_id}:${party.currency}:2000-01-02`;
    const row = { finding_key: key, type: 'party_volume_drift', severity: 'high', country_code: party.country_code, party_id: party.party_id, cdr_id: '', currency: party.currency, amount_at_risk: -10, evidence: '{}', accepted_at: nowS(), detected_at: nowS() - 60 };
    await ch.client.insert({ table: 'anomalies', format: 'JSONEachRow', values: [row] });
    expect((await anomalyQueries.storedDriftFindings(ch.client, { keys: [key] })).map((f) => f.withdrawn_at)).toEqual([0]);
    await ch.client.insert({ table: 'anomalies', format: 'JSONEachRow', values: [{ ...row, withdrawn_at: nowS(), withdrawn_reason: 'judged again' }] });
    const [byKey] = await anomalyQueries.storedDriftFindings(ch.client, { keys: [key] });
    expect([byKey.withdrawn_at > 0, byKey.withdrawn_reason, byKey.detected_at]).toEqual([true, 'judged again', row.detected_at]);
    const byParty = await anomalyQueries.storedDriftFindings(ch.client, { parties: [[party.country_code, party.party_id, party.currency]] });
    expect(byParty.filter((f) => f.finding_key === key).map((f) => f.withdrawn_reason)).toEqual(['judged again']);
    const [{ n }] = await (await ch.client.query({ query: `SELECT count() AS n FROM anomalies FINAL WHERE finding_key = '${key}' AND withdrawn_at = toDateTime(0)`, format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(n), 'FINAL collapses before WHERE filters').toBe(0);
  });

  it('standingCdrFindings: a per-CDR finding stands until its withdrawal replaces it under FINAL', async () => {
    const c = cdrs[0];
    const key = `duplicate_session:${c.country_code}*${c.party_id}*${c.id}-standing`;
    const row = { finding_key: key, type: 'duplicate_session', severity: 'high', country_code: c.country_code, party_id: c.party_id, cdr_id: c.id, currency: c.currency, amount_at_risk: 6, evidence: '{}', accepted_at: nowS(), detected_at: nowS() - 60 };
    await ch.client.insert({ table: 'anomalies', format: 'JSONEachRow', values: [row] });
    expect((await anomalyQueries.standingCdrFindings(ch.client, ['duplicate_session', 'overlapping_sessions'], [key, 'absent'])).map((f) => [f.finding_key, f.detected_at])).toEqual([[key, row.detected_at]]);
    await ch.client.insert({ table: 'anomalies', format: 'JSONEachRow', values: [{ ...row, withdrawn_at: nowS(), withdrawn_reason: 'credited' }] });
    expect(await anomalyQueries.standingCdrFindings(ch.client, ['duplicate_session'], [key])).toEqual([]);
  });

  it.each(['location_power', 'tariff_id'] as const)('pricePerKwhStats by %s: median and MAD', async (scope) => {
    const scopeId = (c: CdrRow) => (scope === 'tariff_id' ? c.tariff_id : anomalyQueries.locationPowerScope(c.location_id, c.connector_power_type));
    const keys = [...new Map(cdrs.map((c) => [`${c.country_code}*${c.party_id}*${scopeId(c)}*${c.currency}`, [c.country_code, c.party_id, scopeId(c), c.currency] as [string, string, string, string]])).values()];
    const stats = await anomalyQueries.pricePerKwhStats(ch.client, scope, keys, 1);
    expect(stats.size).toBeGreaterThan(0);
    for (const s of stats.values()) expect(s.n > 0 && Number.isFinite(s.median) && Number.isFinite(s.mad)).toBe(true);
  });

  it('dailyVolumes over a window and for a set of days, and the drift pass that reads them', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const window = await anomalyQueries.dailyVolumes(ch.client, { sinceDays: 400, until: today });
    expect(window.size).toBe(data.parties.cpos.length);
    const someDays = [...window.values()][0].series.slice(0, 3).map((d) => d.day);
    const days = await anomalyQueries.dailyVolumes(ch.client, { days: someDays });
    expect([...days.values()].flatMap((p) => p.series.map((d) => d.day)).sort()).toEqual(expect.arrayContaining(someDays));
    await expect(judgeAllDrift(ch.client, Date.now())).resolves.toBeInstanceOf(Array);
  });
});

describe('rollups (pipelines/rollups/)', () => {
  it('every exported statement builder is run below', () => {
    const builders = Object.keys(rollupQueries).filter((k) => /Sql$|Statements$/.test(k));
    expect(builders.sort(), 'a new statement in rollups/queries.ts: add it to this test').toEqual(['recomputeStatements', 'runStateSql', 'touchedDaysSql', 'touchedPartitionsSql']);
  });

  it('the run in beforeAll filled every rollup table', async () => {
    for (const table of ['revenue_daily', 'location_hourly', 'ppk_tariff_daily', 'ppk_location_daily', 'rollup_runs']) {
      const [{ n }] = await (await ch.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(n), table).toBeGreaterThan(0);
    }
  });

  it('a later run recomputes the touched days and drops touch partitions no run reads again', async () => {
    // A touch from three months ago (an old partition) and a CDR arriving now.
    await ch.client.insert({ table: 'rollup_touched_days', format: 'JSONEachRow', values: [{ day: '2000-01-01', touched_at: nowS() - 95 * DAY }] });
    const rows = emptyRows();
    const late = { ...data.cdrs[0].cdr, id: 'CURRENT-CH-LATE' };
    addOcpiMessage(rows, push('cdrs', 'post', late, []), { seq: 9_999_999, ingestedAt: nowS() });
    await writeRows(ch.client, rows);
    const from = ch.issued.length;
    const run = await refreshRollups(ch.client, { overlapS: 3600 });
    expect(run.days.length).toBeGreaterThan(0);
    const sent = ch.issued.slice(from).map((q) => q.sql);
    expect(sent.some((s) => /ALTER TABLE rollup_touched_days DROP PARTITION/.test(s))).toBe(true);
    expect(sent).toContain(rollupQueries.touchedPartitionsSql);
    const [{ n }] = await (await ch.client.query({ query: "SELECT count() AS n FROM rollup_touched_days WHERE day = toDate('2000-01-01')", format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(n)).toBe(0);
  });

  it('each statement builder runs on its own', async () => {
    const day = cdrs[0] ? new Date(cdrs[0].end_ts * 1000).toISOString().slice(0, 10) : '2026-01-01';
    for (const query of [rollupQueries.runStateSql(rollupQueries.ROLLUP_JOB), rollupQueries.touchedDaysSql(0), rollupQueries.touchedPartitionsSql]) {
      await (await ch.client.query({ query, format: 'JSONEachRow' })).json();
    }
    for (const query of rollupQueries.recomputeStatements([day], Date.now())) await ch.client.command({ query });
  });
});

describe('hub pipelines status', () => {
  it('reads what ClickHouse holds and the rollups without an error', async () => {
    const config = testConfig({ PORT: '18080' });
    const db = createDb(config.DATABASE_URL);
    const missing = () => Promise.reject(new Error('no JetStream in this test'));
    const deps = { config, db, bus: { subjects: { streams: { ocpi: 'OCPI', traffic: 'TRAFFIC' } }, jsm: { streams: { info: missing }, consumers: { info: missing } } } } as unknown as HubDeps;
    try {
      const status = await pipelinesStatus(deps);
      expect(JSON.stringify(status), 'no part of the status reports an error').not.toMatch(/"error"/);
      expect(status.clickhouse.reachable).toBe(true);
      expect(status.clickhouse.tables.cdrs).toBeGreaterThanOrEqual(cdrs.length);
      expect(status.clickhouse.last_ingested_at).not.toBeNull();
    } finally {
      await db.destroy();
    }
  });
});

// Dashboards are read from disk: a new dashboard, panel or variable is run here without a change.
const range: TimeRange = { from: new Date(Date.now() - 400 * DAY * 1000), to: new Date(Date.now() + DAY * 1000), intervalSeconds: 3600 };
const choices = ['all', 'one', 'two'] as const;

for (const { file, json } of loadDashboards()) {
  const variables = clickHouseVariables(json);
  const panels = panelsOf(json).filter((p) => (p.targets ?? []).some(onClickHouse));
  if (variables.length === 0 && panels.length === 0) continue;

  describe(`dashboard ${file} on current ClickHouse`, () => {
    // Each variable's values, from its own query (what Grafana offers in the drop-down).
    const values = new Map<string, Promise<string[]>>();
    const valuesOf = (v: any): Promise<string[]> => {
      if (!values.has(v.name)) values.set(v.name, ch.client.query({ query: expandClickHouse(v.query, range, {}, {}), format: 'JSONCompact' }).then((r) => r.json<any>()).then((r) => r.data.map((row: unknown[]) => String(row[0]))));
      return values.get(v.name)!;
    };
    const resolve = async (choice: (typeof choices)[number]) => {
      const chosen: Record<string, VariableValue> = {};
      const all: Record<string, string[]> = {};
      for (const v of variables) {
        all[v.name] = await valuesOf(v);
        chosen[v.name] = choice === 'all' ? { all: true } : { all: false, values: all[v.name].slice(0, choice === 'one' ? 1 : 2) };
      }
      return { chosen, all };
    };

    for (const v of variables) {
      it(`variable ${v.name} query runs and offers values`, async () => {
        expect((await valuesOf(v)).length).toBeGreaterThan(0);
      });
    }

    for (const panel of panels) {
      for (const choice of variables.length ? choices : (['all'] as const)) {
        it(`panel "${panel.title}" (${panel.type}, ${variables.length ? `variables: ${choice}` : 'no variables'})`, async () => {
          const { chosen, all } = await resolve(choice);
          for (const target of panel.targets.filter(onClickHouse)) {
            const sql = expandClickHouse(target.rawSql, range, chosen, all);
            const result = await (await ch.client.query({ query: sql, format: 'JSONCompact' })).json<any>();
            if (choice === 'all') expect(result.data.length, `no rows for "${panel.title}"`).toBeGreaterThan(0);
            expect(columnProblems(panel.type, panelColumns(result.meta)), panel.title).toEqual([]);
          }
        });
      }
    }
  });
}
