// Grafana alert rules provisioned from grafana/provisioning/alerting/: the file is what Grafana 11
// provisions (every rule with a unique uid, a condition it defines, existing datasources, a
// severity and a runbook), and each rule's query, run as Grafana runs it against ClickHouse 18.16,
// current ClickHouse (chdb, see support/chdb.ts) and Postgres holding crafted rows, fires for the
// receiver, party or currency whose condition holds and for no other. The ingestion rule compares
// Postgres with ClickHouse: its two queries run on both, and its math expression decides.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { testConfig } from '../support/hub.ts';
import { chdbClickHouse, type ChdbClickHouse } from './support/chdb.ts';
import { evaluate, mathVariables, readAlertingFile, runOnClickHouse, runOnPostgres, type AlertRule, type Instance, type QueryResult } from './support/alerting.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

const grafana = new URL('../../grafana/provisioning/', import.meta.url);
const files = readdirSync(new URL('alerting/', grafana)).filter((f) => /\.ya?ml$/.test(f));
const groups = files.flatMap((f) => readAlertingFile(new URL(`alerting/${f}`, grafana)).groups);
const rules = groups.flatMap((g) => g.rules);
const datasourceUids = [...readFileSync(new URL('datasources/hub.yml', grafana), 'utf8').matchAll(/^\s+uid: (\S+)$/gm)].map((m) => m[1]);
const rule = (uid: string): AlertRule => {
  const found = rules.find((r) => r.uid === uid);
  if (!found) throw new Error(`no alert rule ${uid}`);
  return found;
};

const nowS = () => Math.floor(Date.now() / 1000);
const firing = (instances: Instance[], label: string) => instances.filter((i) => i.firing).map((i) => i.labels[label]).sort();
const instance = (instances: Instance[], label: string, value: string) => instances.find((i) => i.labels[label] === value);

/** The rule evaluated on the result(s), after checking its annotations only name labels and values every instance has. */
function evaluated(r: AlertRule, result: QueryResult | Record<string, QueryResult>): Instance[] {
  const instances = evaluate(r, result);
  const text = Object.values(r.annotations).join('\n');
  for (const [, label] of text.matchAll(/\$labels\.(\w+)/g)) for (const i of instances) expect(Object.keys(i.labels), `${r.uid} annotations name $labels.${label}`).toContain(label);
  for (const [, refId] of text.matchAll(/\$values\.(\w+)\.Value/g)) for (const i of instances) expect(Object.keys(i.values), `${r.uid} annotations name $values.${refId}`).toContain(refId);
  return instances;
}

describe('provisioning file', () => {
  it('is Grafana 11 alerting provisioning with the expected rules', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readAlertingFile(new URL(`alerting/${f}`, grafana)).apiVersion).toBe(1);
    for (const g of groups) {
      expect(g.orgId).toBe(1);
      expect(g.folder).toBeTruthy();
      expect(g.interval).toMatch(/^\d+[smh]$/);
    }
    expect(rules.map((r) => r.uid).sort()).toEqual([
      'hub-billing-anomalies-high-value',
      'hub-cdr-ingestion-stopped',
      'hub-dead-letters',
      'hub-delivery-backlog',
      'hub-delivery-failure-rate',
      'hub-party-offline',
      'hub-rollups-stale',
      'hub-statements-escalated-unpaid',
    ]);
  });

  it('rules have unique uids and titles (uids Grafana accepts: at most 40 characters)', () => {
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r.title)).size).toBe(rules.length);
    for (const r of rules) expect(r.uid).toMatch(/^[a-z0-9-]{1,40}$/);
  });

  it.each(rules.map((r) => [r.uid, r] as const))('%s: condition, datasources, states, severity, runbook', (_uid, r) => {
    const refIds = r.data.map((d) => d.refId);
    expect(new Set(refIds).size).toBe(refIds.length);
    expect(refIds).toContain(r.condition);
    for (const d of r.data) {
      expect(d.model.refId).toBe(d.refId);
      if (d.datasourceUid === '__expr__') {
        expect(['reduce', 'threshold', 'math']).toContain(d.model.type);
        const inputs = d.model.type === 'math' ? mathVariables(d.model.expression) : [d.model.expression];
        expect(inputs.length).toBeGreaterThan(0);
        for (const input of inputs) expect(refIds).toContain(input);
      } else {
        expect(datasourceUids).toContain(d.datasourceUid);
        expect(d.model.datasource.uid).toBe(d.datasourceUid);
        expect(d.relativeTimeRange.from).toBeGreaterThan(d.relativeTimeRange.to);
        // The ClickHouse plugin's raw SQL as a table (format 1), as the dashboards' table panels save it.
        if (d.datasourceUid === 'hub-clickhouse') expect(d.model).toMatchObject({ editorType: 'sql', format: 1, queryType: 'table' });
        else expect(d.model).toMatchObject({ editorMode: 'code', rawQuery: true, format: 'table' });
      }
    }
    expect(['OK', 'NoData', 'Alerting', 'KeepLast']).toContain(r.noDataState);
    expect(['OK', 'Error', 'Alerting', 'KeepLast']).toContain(r.execErrState);
    expect(r.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning']).toContain(r.labels.severity);
    expect(r.annotations.summary).toBeTruthy();
    expect(r.annotations.description).toBeTruthy();
    for (const [, refId] of Object.values(r.annotations).join('\n').matchAll(/\$values\.(\w+)\.Value/g)) expect(refIds).toContain(refId);
    expect(Object.values(r.annotations).join('\n')).not.toMatch(/\$values\.\w+ /);
    expect(r.annotations.runbook).toMatch(/`hub [a-z]/);
    expect(r.annotations.runbook).toMatch(/README\.md, /);
    // Provisioning replaces ${VAR} in titles, labels and annotations with the environment's value.
    expect(JSON.stringify([r.title, r.labels, r.annotations])).not.toMatch(/\$\{|\$[A-Z_]/);
  });
});

interface Engine {
  name: string;
  open(): Promise<{ client: ClickHouseClient; close(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'ClickHouse 18.16',
    async open() {
      const base = testConfig({ PORT: '18080' });
      const database = `${base.CLICKHOUSE_DATABASE}_alerts${randomBytes(3).toString('hex')}`;
      await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
      const client = createClickHouse(base.CLICKHOUSE_URL, database);
      await migrateClickHouse(client);
      return {
        client,
        close: async () => {
          await client.close();
          await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
        },
      };
    },
  },
  {
    name: 'current ClickHouse (chdb)',
    async open() {
      const chdb: ChdbClickHouse = chdbClickHouse();
      await migrateClickHouse(chdb.client);
      return { client: chdb.client, close: () => chdb.close() };
    },
  },
];

// The ingestion rule reads every CDR the hub accepted: a Postgres database of its own, its cdrs
// emptied before each case.
let acceptedDb: Db;
let acceptedNamespace: OwnNamespace;
beforeAll(async () => {
  acceptedNamespace = await ownNamespace('alertingest');
  acceptedDb = createDb(acceptedNamespace.env.DATABASE_URL, { max: 2 });
}, 120_000);
afterAll(async () => {
  await acceptedDb?.destroy();
  await acceptedNamespace?.drop();
});

// Each engine gets a database of its own (the rules read the whole hub, not one party); each rule
// has receivers of its own in it.
describe.each(engines)('ClickHouse rules on $name', (engine) => {
  let ch: ClickHouseClient;
  let close: () => Promise<void>;
  let seq = 1;
  const delivery = (receiver: string, outcome: string, agoS: number) => ({ at: nowS() - agoS, module: 'cdrs', event: 'post', sender_country_code: 'DE', sender_party_id: 'ALS', receiver_country_code: 'NL', receiver_party_id: receiver, outcome, attempts: 1, latency_ms: 50, status_code: outcome === 'delivered' ? 1000 : 0, http_status: outcome === 'failed' ? 503 : 200, ingested_at: nowS(), stream_seq: seq++ });

  beforeAll(async () => {
    ({ client: ch, close } = await engine.open());
  }, 120_000);
  afterAll(async () => close?.());

  it('delivery backlog: fires for a receiver whose oldest waiting message is older than 15 minutes in the latest sample', async () => {
    const sample = (receiver: string, agoS: number, pending: number, oldestS: number) => ({ at: nowS() - agoS, receiver_country_code: 'NL', receiver_party_id: receiver, status: 'CONNECTED', pending, oldest_age_s: oldestS, dead_letters: 0, sampled_at: nowS() - agoS });
    await ch.insert({
      table: 'delivery_backlog',
      format: 'JSONEachRow',
      values: [
        sample('AL1', 300, 3, 1500), sample('AL1', 15, 4, 1800), // 30 minutes: fires
        sample('AL2', 15, 2, 120), // 2 minutes: does not
        sample('AL3', 300, 9, 3000), sample('AL3', 15, 0, 0), // delivered since: nothing waits
      ],
    });
    const instances = evaluated(rule('hub-delivery-backlog'), await runOnClickHouse(ch, rule('hub-delivery-backlog')));
    expect(firing(instances, 'receiver')).toEqual(['NL*AL1']);
    expect(instance(instances, 'receiver', 'NL*AL1')?.value).toBe(30);
    expect(instance(instances, 'receiver', 'NL*AL2')).toMatchObject({ value: 2, firing: false });
    expect(instance(instances, 'receiver', 'NL*AL3')).toBeUndefined();
  });

  it('dead letters: fires for a receiver with a dead letter in the last 5 minutes, not for an older one', async () => {
    await ch.insert({ table: 'deliveries', format: 'JSONEachRow', values: [delivery('AL4', 'dead_letter', 60), delivery('AL4', 'dead_letter', 120), delivery('AL5', 'dead_letter', 900), delivery('AL5', 'delivered', 60), delivery('AL5', 'failed', 60)] });
    const instances = evaluated(rule('hub-dead-letters'), await runOnClickHouse(ch, rule('hub-dead-letters')));
    expect(firing(instances, 'receiver')).toEqual(['NL*AL4']);
    expect(instance(instances, 'receiver', 'NL*AL4')?.value).toBe(2);
  });

  it('delivery failure rate: fires above 20% of at least 10 attempts over 15 minutes', async () => {
    const attempts = (receiver: string, failed: number, delivered: number, agoS = 120) => [...Array(failed).fill('failed'), ...Array(delivered).fill('delivered')].map((o) => delivery(receiver, o, agoS));
    await ch.insert({
      table: 'deliveries',
      format: 'JSONEachRow',
      values: [
        ...attempts('AL6', 3, 7), // 30%: fires
        ...attempts('AL7', 2, 18), // 10%: does not
        ...attempts('AL8', 4, 0), // 100% of 4 attempts: too few to judge
        ...attempts('AL9', 10, 0, 1800), // outside the 15 minutes
        ...attempts('AL9', 1, 9), // 10%: does not
      ],
    });
    const instances = evaluated(rule('hub-delivery-failure-rate'), await runOnClickHouse(ch, rule('hub-delivery-failure-rate')));
    expect(firing(instances, 'receiver')).toEqual(['NL*AL6']);
    expect(instance(instances, 'receiver', 'NL*AL6')?.value).toBe(30);
    expect(instance(instances, 'receiver', 'NL*AL8')).toBeUndefined();
  });

  it('rollups stale: fires once CDRs have waited more than 10 minutes for a rollup run, not for a quiet hub', async () => {
    const stale = rule('hub-rollups-stale');
    const waiting = async () => evaluated(stale, await runOnClickHouse(ch, stale));
    // A run 20 minutes ago; a day touched before it started is covered.
    await ch.insert({ table: 'rollup_runs', format: 'JSONEachRow', values: [{ job: 'cdr_rollups', watermark: nowS() - 1200, version: 1, days: 1, finished_at: nowS() - 1190 }] });
    await ch.insert({ table: 'rollup_touched_days', format: 'JSONEachRow', values: [{ day: new Date().toISOString().slice(0, 10), touched_at: nowS() - 1500 }] });
    expect(await waiting()).toMatchObject([{ labels: {}, value: 0, firing: false }]);
    // A CDR a minute ago waits for the next run: not yet stale.
    await ch.insert({ table: 'rollup_touched_days', format: 'JSONEachRow', values: [{ day: '2026-01-02', touched_at: nowS() - 60 }] });
    expect((await waiting())[0]).toMatchObject({ firing: false });
    // One that has waited 15 minutes: no run covered it.
    await ch.insert({ table: 'rollup_touched_days', format: 'JSONEachRow', values: [{ day: '2026-01-03', touched_at: nowS() - 900 }] });
    const [late] = await waiting();
    expect(late.firing).toBe(true);
    expect(late.value).toBeGreaterThanOrEqual(900);
    // A run since then covers them all.
    await ch.insert({ table: 'rollup_runs', format: 'JSONEachRow', values: [{ job: 'cdr_rollups', watermark: nowS() - 5, version: 2, days: 3, finished_at: nowS() - 2 }] });
    expect(await waiting()).toMatchObject([{ labels: {}, value: 0, firing: false }]);
  });

  it("high-value billing anomalies: fires per currency for standing findings of the last hour above the currency's threshold", async () => {
    const finding = (key: string, currency: string, amount: number, agoS: number, withdrawn = false) => ({ finding_key: `alert-test:${key}`, type: 'price_mismatch', severity: 'high', country_code: 'NL', party_id: 'ALC', cdr_id: key, currency, amount_at_risk: amount, evidence: '{}', accepted_at: nowS() - agoS, detected_at: nowS() - agoS, ...(withdrawn ? { withdrawn_at: nowS(), withdrawn_reason: 'judged again: test' } : {}) });
    const findings = [
      finding('A1', 'EUR', 250, 600), // 100 EUR threshold: fires
      finding('A2', 'EUR', -120, 300), // a credit at risk counts by its size
      finding('A3', 'EUR', 20, 300), // small: not counted
      finding('A4', 'SEK', 500, 600), // below 1000 SEK
      finding('A5', 'GBP', 500, 600), // withdrawn below
      finding('A6', 'JPY', 20000, 7200), // more than an hour ago
    ];
    await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: findings });
    await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: [finding('A5', 'GBP', 500, 600, true)] });
    const instances = evaluated(rule('hub-billing-anomalies-high-value'), await runOnClickHouse(ch, rule('hub-billing-anomalies-high-value')));
    expect(firing(instances, 'currency')).toEqual(['EUR']);
    expect(instance(instances, 'currency', 'EUR')?.value).toBe(2);
    expect(instances.map((i) => i.labels.currency)).toEqual(['EUR']);
  });

  // Each case at a day of its own in the past (the rule's queries name no clock but Grafana's time
  // range), so the CDRs ClickHouse holds from one case are outside the next one's hour.
  const HOUR_S = 3600;
  const ingestionCases = [
    { name: 'nothing accepted in the last hour (a quiet hub)', acceptedMinAgo: [180], ingestedMinAgo: [], fires: false },
    { name: 'every CDR accepted is ingested', acceptedMinAgo: [30, 10], ingestedMinAgo: [30, 10], fires: false },
    { name: 'ingestion stopped after the CDR of 30 minutes ago', acceptedMinAgo: [30, 20, 10, 2], ingestedMinAgo: [30], fires: true },
    { name: 'nothing accepted in the last hour reached ClickHouse', acceptedMinAgo: [10], ingestedMinAgo: [90], fires: true },
    { name: 'the newest CDR is within the 5 minutes of grace', acceptedMinAgo: [30, 3], ingestedMinAgo: [30], fires: false },
    { name: "the hub's clock 20 s behind the database's", acceptedMinAgo: [10], ingestedMinAgo: [10 + 20 / 60], fires: false },
    { name: 'published later, by the outbox sweeper', acceptedMinAgo: [10], ingestedMinAgo: [8], fires: false },
  ];
  it.each(ingestionCases.map((c, day) => ({ ...c, day: day + 1 })))('CDR ingestion: $name (fires: $fires)', async ({ acceptedMinAgo, ingestedMinAgo, fires, day }) => {
    const r = rule('hub-cdr-ingestion-stopped');
    const nowMs = (nowS() - day * 24 * HOUR_S) * 1000;
    const at = (minAgo: number) => Math.round(nowMs / 1000 - minAgo * 60);
    await acceptedDb('cdrs').delete();
    // Oldest first, as the hub accepts them: seq follows acceptance.
    for (const [n, minAgo] of acceptedMinAgo.entries()) {
      await acceptedDb('cdrs').insert({ country_code: 'NL', party_id: 'ALI', cdr_id: `ING-${day}-${n}`, data: '{}', content_hash: 'test', routing: 'direct', last_updated: new Date(at(minAgo) * 1000), created_at: new Date(at(minAgo) * 1000) });
    }
    if (ingestedMinAgo.length) {
      await ch.insert({
        table: 'cdrs',
        format: 'JSONEachRow',
        values: ingestedMinAgo.map((minAgo, n) => ({ country_code: 'NL', party_id: 'ALI', id: `ING-${day}-${n}`, start_ts: at(minAgo) - HOUR_S, end_ts: at(minAgo), accepted_at: at(minAgo), ingested_at: at(minAgo) + 1, stream_seq: day * 100 + n })),
      });
    }
    const [instance, ...more] = evaluated(r, { A: await runOnPostgres(acceptedDb, r, nowMs, 'A'), B: await runOnClickHouse(ch, r, nowMs, 'B') });
    expect(more).toEqual([]);
    // $values as the summary shows them: the newest CDR accepted 5 to 60 minutes ago, the newest ingested.
    const newestAccepted = acceptedMinAgo.filter((m) => m >= 5 && m <= 60).map(at);
    const newestIngested = ingestedMinAgo.filter((m) => m <= 61).map(at);
    expect(instance).toMatchObject({ labels: {}, firing: fires, values: { A: newestAccepted.length ? Math.max(...newestAccepted) : 0, B: newestIngested.length ? Math.max(...newestIngested) : 0, C: fires ? 1 : 0 } });
  });
});

describe('Postgres rules', () => {
  const config = testConfig({ PORT: '18080' });
  const db = createDb(config.DATABASE_URL);
  const ours = ['AL1', 'AL2', 'AL3', 'AL4'];

  const cleanUp = async () => {
    const platforms = await db('parties').where({ country_code: 'NL' }).whereIn('party_id', ours).pluck('platform_id');
    await db('parties').where({ country_code: 'NL' }).whereIn('party_id', ours).delete();
    if (platforms.length) await db('platforms').whereIn('id', platforms).delete();
  };

  beforeAll(async () => {
    await cleanUp();
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const platform = async (state: string, party: string, role: string, status: string, since: Date) => {
      const [p] = await db('platforms').insert({ name: `alert rules test ${party}`, state }).returning('id');
      await db('parties').insert({ platform_id: p.id, country_code: 'NL', party_id: party, role, business_details: JSON.stringify({ name: `${party} B.V.` }), status, last_updated: since });
    };
    await platform('REGISTERED', 'AL1', 'EMSP', 'OFFLINE', minutesAgo(40)); // fires
    await platform('REGISTERED', 'AL2', 'CPO', 'OFFLINE', minutesAgo(5)); // not yet
    await platform('REGISTERED', 'AL3', 'CPO', 'CONNECTED', minutesAgo(600));
    await platform('UNREGISTERED', 'AL4', 'CPO', 'OFFLINE', minutesAgo(600)); // gone: not watched
  });

  // Statements of a cycle of their own (period 2097-03, never a real one). All escalated or not
  // payable by the party: a billing tick of another test's hub leaves those alone.
  const statementIds = ['ALST-1', 'ALST-2', 'ALST-3', 'ALST-4', 'ALST-5'];
  const cleanUpStatements = async () => {
    await db('billing_payments').whereIn('statement_id', statementIds).delete();
    await db('billing_statements').whereIn('statement_id', statementIds).delete();
    await db('clearing_statements').whereIn('id', statementIds).delete();
    await db('clearing_cycles').where({ period: '2097-03', currency: 'EUR' }).delete();
  };

  beforeAll(async () => {
    await cleanUpStatements();
    const [cycle] = await db('clearing_cycles').insert({ period: '2097-03', currency: 'EUR', period_start: new Date('2097-03-01T00:00:00Z'), period_end: new Date('2097-04-01T00:00:00Z'), state: 'settled' }).returning('id');
    const dueDate = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const statement = (id: string, direction: string, extra: Record<string, unknown> = {}) => ({ statement_id: id, cycle_id: cycle.id, party: `NL-AL${id.slice(-1)}`, currency: 'EUR', direction, amount_due: 1_000_000, issued_at: new Date(Date.now() - 54 * 86_400_000), due_date: dueDate, escalated_at: new Date(), ...extra });
    const rows = [
      statement('ALST-1', 'party_pays'), // escalated, nothing paid: fires
      statement('ALST-2', 'party_pays'), // paid in full below
      statement('ALST-3', 'party_pays', { written_off_at: new Date(), written_off_by: 'test' }),
      statement('ALST-4', 'hub_pays'), // the hub owes it: nobody to chase
      statement('ALST-5', 'party_pays'), // partly paid below: fires
    ];
    await db('clearing_statements').insert(rows.map((r) => ({ id: r.statement_id, cycle_id: cycle.id, party: r.party, currency: 'EUR', issued_at: r.issued_at, due_date: r.due_date, content: '{}' })));
    await db('billing_statements').insert(rows);
    await db('billing_payments').insert([
      { statement_id: 'ALST-2', method: 'bank_transfer', amount: 1_000_000, reference: 'alert-test-2', received_at: new Date(), recorded_by: 'test' },
      { statement_id: 'ALST-5', method: 'bank_transfer', amount: 400_000, reference: 'alert-test-5', received_at: new Date(), recorded_by: 'test' },
    ]);
  });

  afterAll(async () => {
    await cleanUp();
    await cleanUpStatements();
    await db.destroy();
  });

  it('party OFFLINE: fires for a registered party OFFLINE for more than 15 minutes', async () => {
    const instances = evaluated(rule('hub-party-offline'), await runOnPostgres(db, rule('hub-party-offline')));
    const mine = instances.filter((i) => ours.some((p) => i.labels.party === `NL*${p}`));
    expect(mine.filter((i) => i.firing).map((i) => [i.labels.party, i.labels.role])).toEqual([['NL*AL1', 'EMSP']]);
    expect(instance(mine, 'party', 'NL*AL1')?.value).toBe(40);
    expect(instance(mine, 'party', 'NL*AL2')).toMatchObject({ value: 5, firing: false });
    expect(instance(mine, 'party', 'NL*AL3')).toBeUndefined();
    expect(instance(mine, 'party', 'NL*AL4')).toBeUndefined();
  });

  it('escalated statements unpaid: fires per statement the party still owes after escalation', async () => {
    const instances = evaluated(rule('hub-statements-escalated-unpaid'), await runOnPostgres(db, rule('hub-statements-escalated-unpaid')));
    const mine = instances.filter((i) => statementIds.includes(i.labels.statement));
    expect(mine.filter((i) => i.firing).map((i) => i.labels.statement)).toEqual(['ALST-1', 'ALST-5']);
    expect(mine.map((i) => i.labels.statement).sort()).toEqual(['ALST-1', 'ALST-5']);
    expect(instance(mine, 'statement', 'ALST-1')).toMatchObject({ labels: { party: 'NL-AL1', statement: 'ALST-1', currency: 'EUR' }, value: 40, firing: true });
  });
});
