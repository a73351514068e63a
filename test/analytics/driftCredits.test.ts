// Party drift counts charging sessions billed, as the dashboards do, against ClickHouse 18.16: a
// CPO corrects a CDR with a credit CDR (credit: true, credit_reference_id naming the original) and
// usually a corrected re-issue. The original and its re-issue are one session, the credit none,
// and an original credited without a re-issue (yet) none. Counting every non-credit CDR doubled a
// day of corrections, and the drift rule flagged it as a surge.
//
// The running detector re-reads the day of the original a credit CDR names when the credit is
// dated another day, whatever the case the credit spells the original's id in (a CiString): the
// original's day now counts a session less, and a surge the re-issues caused there (sent before
// their credits) is withdrawn.
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { startPipelines } from '../../pipelines/index.ts';
import { INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
import { dailyVolumes } from '../../pipelines/anomalies/queries.ts';
import { judgeAllDrift } from '../../pipelines/anomalies/drift.ts';
import { driftFindingKey } from '../../pipelines/anomalies/rules.ts';
import type { AnomalyEvent, AnomalyWithdrawnEvent } from '../../pipelines/anomalies/sink.ts';
import { publishOcpi, waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';

const base = testConfig({ PORT: '18080' });
const opened: { ch: ClickHouseClient; database: string; deps?: HubDeps }[] = [];

afterAll(async () => {
  for (const { ch, database, deps } of opened) {
    await ch.close();
    if (deps) await deleteStreams(deps.bus).catch(() => undefined);
    await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
    if (deps) await closeDeps(deps);
  }
});

const cpo = { country_code: 'NL', party_id: 'DCX' };
const emsp = { country_code: 'DE', party_id: 'DCM' };
const party = { ...cpo, currency: 'EUR' };
const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const money = (excl: number) => ({ excl_vat: excl, incl_vat: Math.round(excl * 121) / 100 });

/** A one-hour session ending at noon (UTC) of `day` plus `n` minutes, costing `excl` EUR. */
function aCdr(id: string, day: string, n: number, excl: number, extra: Record<string, unknown> = {}): Record<string, any> {
  const end = Date.parse(`${day}T12:00:00Z`) + n * 60_000;
  return {
    ...cpo,
    id,
    start_date_time: iso(end - HOUR),
    end_date_time: iso(end),
    session_id: `S-${id}`,
    cdr_token: { ...emsp, uid: `TOK-${id}`, type: 'RFID', contract_id: `C-${id}` },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'L1', evse_uid: `E-${id}`, evse_id: `NL*DCX*E${n}`, connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(end - HOUR), dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }] }],
    total_cost: money(excl),
    total_energy: 10,
    total_time: 1,
    last_updated: iso(end),
    ...extra,
  };
}

/**
 * The credit CDR of `original`: the same session, costs negated, dated `day` (the original's by
 * default), naming the original as `spell` writes its id (a CiString: any case names it).
 */
const creditOf = (original: Record<string, any>, day?: string, spell: (id: string) => string = (id) => id): Record<string, any> => ({
  ...structuredClone(original),
  id: `CR-${original.id}`,
  credit: true,
  credit_reference_id: spell(original.id),
  total_cost: money(-original.total_cost.excl_vat),
  ...(day ? { end_date_time: `${day}T13:00:00Z`, last_updated: `${day}T13:00:00Z` } : {}),
});

/** The corrected re-issue of `original`: the same session at another price. */
const reissueOf = (original: Record<string, any>, excl: number): Record<string, any> => ({ ...structuredClone(original), id: `RE-${original.id}`, total_cost: money(excl) });

async function store(ch: ClickHouseClient, cdrs: Record<string, any>[]): Promise<void> {
  const rows = emptyRows();
  cdrs.forEach((body, i) => {
    const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body, object_key: `cdrs:${body.id}`, sender: cpo, from: cpo, receiver: emsp, routing: 'direct', request_id: `r${i}`, correlation_id: 'c', accepted_at: body.last_updated };
    addOcpiMessage(rows, message, { seq: i + 1, ingestedAt: Math.floor(Date.now() / 1000) });
  });
  await writeRows(ch, rows);
}

const dayAfter = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

describe('party drift counts charging sessions billed', () => {
  it('a credited and re-issued CDR is one session, a credit none: a day of corrections is no surge', async () => {
    const database = `${base.CLICKHOUSE_DATABASE}_dc${randomBytes(3).toString('hex')}`;
    await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
    const ch = createClickHouse(base.CLICKHOUSE_URL, database);
    opened.push({ ch, database });
    await migrateClickHouse(ch);

    // 28 days of history, 10 sessions of 5 EUR a day; then the day judged, 2026-02-17.
    const first = '2026-01-20';
    const judged = dayAfter(first, 28);
    const cdrs: Record<string, any>[] = [];
    for (let d = 0; d < 28; d++) for (let n = 0; n < 10; n++) cdrs.push(aCdr(`H${d}-${n}`, dayAfter(first, d), n, 5));
    // The judged day: 12 sessions, every one credited and re-issued at 4 EUR (36 CDRs).
    for (let n = 0; n < 12; n++) {
      const original = aCdr(`J-${n}`, judged, n, 5);
      cdrs.push(original, creditOf(original), reissueOf(original, 4));
    }
    // The next day (not judged yet): 3 sessions, one credited without a re-issue; and a credit
    // dated that day of a session of the history's 10th day, which now has 9.
    const next = dayAfter(judged, 1);
    const lone = aCdr('N-0', next, 0, 5);
    cdrs.push(lone, creditOf(lone), aCdr('N-1', next, 1, 5), aCdr('N-2', next, 2, 5));
    cdrs.push(creditOf(cdrs.find((c) => c.id === 'H9-3')!, next));
    await store(ch, cdrs);

    const volumes = await dailyVolumes(ch, { sinceDays: 40, until: next });
    const series = volumes.get(`NL*DCX*EUR`)!.series;
    const byDay = new Map(series.map((v) => [v.day, v]));
    expect(byDay.get(judged)).toMatchObject({ cdrs: 12, revenue: expect.closeTo(12 * 4, 4) });
    expect(byDay.get(next)).toMatchObject({ cdrs: 2, revenue: expect.closeTo(10 - 5, 4) });
    expect(byDay.get(dayAfter(first, 9))).toMatchObject({ cdrs: 9, revenue: expect.closeTo(50, 4) });
    expect(series.filter((v) => v.day < judged && v.day !== dayAfter(first, 9)).map((v) => v.cdrs)).toEqual(Array(27).fill(10));

    // Judged the morning after the next day ended (24 h grace): the judged day is within range.
    const findings = await judgeAllDrift(ch, Date.parse(`${dayAfter(next, 1)}T06:00:00Z`));
    expect(findings.filter((f) => f.party_id === 'DCX').map((f) => f.key)).not.toContain(driftFindingKey(party, judged));
    expect(findings.filter((f) => f.party_id === 'DCX')).toEqual([]);
  });
});

async function until<T>(what: string, probe: () => T, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('party drift in the running detector, when credit CDRs come dated another day', () => {
  // Each case bills under a CPO of its own: the review queue both share keeps a finding once per key.
  it.each([
    ['naming their originals as spelled', 'DCX', (id: string) => id],
    ['naming their originals in another case (d-0 for D-0)', 'DIX', (id: string) => id.toLowerCase()],
  ])('%s: re-reads the credited originals\' day, so a surge of re-issues sent before their credits is withdrawn once the credits arrive', async (_, partyId, spell) => {
    const owner = { country_code: 'NL', party_id: partyId };
    const suffix = randomBytes(3).toString('hex');
    const config = testConfig({ PORT: '18080', ANOMALY_DRIFT_GRACE_H: '6', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_dt${suffix}` });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(ch);
    const deps = await buildDeps(config, createLogger({ level: 'silent' }), 'drift-credits-test');
    opened.push({ ch, database: config.CLICKHOUSE_DATABASE, deps });

    // 28 days of 10 sessions of 5 EUR; the judged day D (three days ago) has 12 sessions billed at
    // 0.50 EUR and their re-issues at 5 EUR (the credits not sent yet): 24 CDRs, a surge. The two
    // days after it have 10 sessions each. Six hours into today every day up to yesterday is judged.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const d = dayOf(today - 3 * DAY);
    const cdrs: Record<string, any>[] = [];
    for (let h = -28; h <= 2; h++) if (h !== 0) for (let n = 0; n < 10; n++) cdrs.push(aCdr(`T${h + 28}-${n}`, dayAfter(d, h), n, 5, owner));
    const originals = Array.from({ length: 12 }, (_, n) => aCdr(`D-${n}`, d, 20 + n, 0.5, owner));
    cdrs.push(...originals, ...originals.map((o) => reissueOf(o, 5)));
    const publish = async (list: Record<string, any>[]) => {
      for (const cdr of list) await publishOcpi(deps, 'cdrs', cdr, [], owner, emsp, `cdrs:NL*${partyId}*${cdr.id}`, 'post').done;
    };
    const anomalies: AnomalyEvent[] = [];
    const withdrawn: AnomalyWithdrawnEvent[] = [];
    const subs = [deps.bus.nc.subscribe(deps.bus.subjects.events('anomaly')), deps.bus.nc.subscribe(deps.bus.subjects.events('anomaly_withdrawn'))];
    void (async () => {
      for await (const m of subs[0]) anomalies.push(m.json<AnomalyEvent>());
    })();
    void (async () => {
      for await (const m of subs[1]) withdrawn.push(m.json<AnomalyWithdrawnEvent>());
    })();
    await publish(cdrs);
    const pipelines = await startPipelines(deps, { only: ['ingest', 'anomalies'], ingest: { batchSize: 500, maxDelayMs: 50 }, anomalies: { batchSize: 500, maxDelayMs: 50, driftEveryMs: 200, now: () => today + 6 * HOUR } });
    try {
      const key = driftFindingKey({ ...owner, currency: 'EUR' }, d);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      const drifts = () => anomalies.filter((e) => e.type === 'party_volume_drift').map((e) => e.finding_key);
      await until('the surge on D flagged', drifts, (k) => k.includes(key), 30_000);
      expect(drifts()).toEqual([key]);

      // The credits, dated the day after D: D holds 12 sessions again.
      await publish(originals.map((o) => creditOf(o, dayAfter(d, 1), spell)));
      const event = await until('the surge withdrawn', () => withdrawn.find((e) => e.finding_key === key), (e) => e !== undefined, 30_000);
      expect(event).toMatchObject({ type: 'party_volume_drift', rejudged: { day: d } });
      expect(drifts()).toEqual([key]);
    } finally {
      for (const sub of subs) sub.unsubscribe();
      await pipelines.stop();
    }
  }, 180_000);
});
