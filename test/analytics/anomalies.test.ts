// Anomaly detection end to end against real NATS JetStream, ClickHouse 18.16 and Postgres: CDRs
// with injected anomalies published on the OCPI stream, ingested, judged by the detector, and the
// findings seen where their users see them — the anomaly subject on NATS and `anomalies FINAL` in
// ClickHouse. Also: the late-CDR limit from ANOMALY_LATE_CDR_DAYS at its boundary, party drift
// judged incrementally (a silent party, each day only once ANOMALY_DRIFT_GRACE_H has passed after
// it, a late CDR re-reading one day; an outage a late batch filled in withdrawn), and the
// look-up tables the detector reads instead of `cdrs`. (`hub analytics evaluate` against the
// issue's targets is in pipelines.test.ts.)
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Subscription } from '@nats-io/transport-node';
import type { Config } from '../../src/config.ts';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import type { HubDeps } from '../../src/deps.ts';
import { startPipelines } from '../../pipelines/index.ts';
import { INGEST_DURABLE, startIngest } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE, startDetector } from '../../pipelines/anomalies/index.ts';
import { locationPowerScope, neighbours, pricePerKwhStats, tariffsByKey } from '../../pipelines/anomalies/queries.ts';
import { cdrFindingKey } from '../../pipelines/anomalies/rules.ts';
import { writeFindings, type AnomalyEvent, type AnomalyWithdrawnEvent } from '../../pipelines/anomalies/sink.ts';
import { generate, type Generated } from '../../pipelines/evaluate/generator.ts';
import { publishGenerated, waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';
import { disputeReviewItem } from '../../src/clearing/reviewItems.ts';

const log = createLogger({ level: 'silent' });
const opened: { deps: HubDeps; clickhouse: ClickHouseClient; database: string }[] = [];
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Deps with a stream prefix and ClickHouse database of their own (migrated). */
async function isolated(env: Record<string, string> = {}): Promise<{ config: Config; deps: HubDeps; clickhouse: ClickHouseClient }> {
  const suffix = randomBytes(3).toString('hex');
  const base = testConfig({ PORT: '18080' });
  const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_${suffix}`, ...env });
  await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  await migrateClickHouse(clickhouse);
  const deps = await buildDeps(config, log, 'anomalies-test');
  opened.push({ deps, clickhouse, database: config.CLICKHOUSE_DATABASE });
  return { config, deps, clickhouse };
}

afterAll(async () => {
  for (const { deps, clickhouse, database } of opened) {
    await clickhouse.close();
    await deleteStreams(deps.bus).catch(() => undefined);
    await dropClickHouseDatabase(deps.config.CLICKHOUSE_URL, database).catch(() => undefined);
    await closeDeps(deps);
  }
});

/** Every anomaly event published on NATS from now on. */
function listen(deps: HubDeps): { events: AnomalyEvent[]; sub: Subscription } {
  const sub = deps.bus.nc.subscribe(deps.bus.subjects.events('anomaly'));
  const events: AnomalyEvent[] = [];
  void (async () => {
    for await (const m of sub) events.push(m.json<AnomalyEvent>());
  })();
  return { events, sub };
}

async function until<T>(what: string, probe: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(JSON.stringify(v)).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function storedAnomalies(clickhouse: ClickHouseClient): Promise<{ finding_key: string; type: string; evidence: string }[]> {
  return (await clickhouse.query({ query: 'SELECT finding_key, type, evidence FROM anomalies FINAL ORDER BY finding_key', format: 'JSONEachRow' })).json();
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A copy of a normal generated CDR under a new id whose session ended `daysAgo` days and an hour ago. */
function endedDaysAgo(cdr: Record<string, any>, daysAgo: number, id: string): Record<string, any> {
  const copy = structuredClone(cdr);
  const shift = Date.now() - daysAgo * DAY - 3_600_000 - Date.parse(cdr.end_date_time);
  const move = (s: string) => iso(Date.parse(s) + shift);
  Object.assign(copy, { id, session_id: `S${id}`, start_date_time: move(cdr.start_date_time), end_date_time: move(cdr.end_date_time), last_updated: move(cdr.last_updated) });
  for (const p of copy.charging_periods) p.start_date_time = move(p.start_date_time);
  return copy;
}

/** Normal CDRs of the data set with distinct tokens (so shifted copies cannot overlap each other). */
function distinctTokenCdrs(data: Generated, n: number): Record<string, any>[] {
  const seen = new Set<string>();
  return data.cdrs
    .filter((g) => g.label === null && !g.cdr.credit)
    .map((g) => g.cdr)
    .filter((c) => !seen.has(c.cdr_token.uid) && seen.add(c.cdr_token.uid))
    .slice(0, n);
}

const lateKey = (cdr: Record<string, any>) => cdrFindingKey('late_cdr', cdr as { country_code: string; party_id: string; id: string });

describe('anomaly detector end to end', () => {
  it('publishes every injected anomaly on NATS and records it in ClickHouse, and nothing else; late CDRs by the default limit (89 days no, 91 days yes)', async () => {
    const { deps, clickhouse } = await isolated();
    const { events, sub } = listen(deps);
    const pipelines = await startPipelines(deps, { ingest: { batchSize: 500, maxDelayMs: 50 }, anomalies: { batchSize: 300, maxDelayMs: 50 } });
    try {
      const data = generate({ seed: 11, cdrs: 1500, todayMs: Date.now(), days: 20, anomalyRate: 0.005 });
      const [a, b] = distinctTokenCdrs(data, 2);
      const onTime = endedDaysAgo(a, 89, 'EDGE89');
      const late = endedDaysAgo(b, 91, 'EDGE91');
      data.cdrs.push({ cdr: onTime, label: null, publishAt: 0 }, { cdr: late, label: 'late_cdr', publishAt: 0 });
      await publishGenerated(deps, data, 100_000);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 120_000);

      const expected = new Set<string>([lateKey(late)]);
      for (const [type, keys] of Object.entries(data.labels)) if (type !== 'party_volume_drift') for (const k of keys) expected.add(k);
      for (const type of ['price_mismatch', 'duplicate_session', 'overlapping_sessions', 'impossible_energy', 'non_positive_total', 'energy_without_time', 'price_per_kwh_outlier', 'late_cdr']) {
        expect([...expected].some((k) => k.startsWith(`${type}:`)), `${type} injected`).toBe(true);
      }
      // Both kinds of price-per-kWh outlier are in the mix: billed with no tariff, and billed
      // consistently with a dear tariff the CDR carries.
      const ppk = data.cdrs.filter((g) => g.label === 'price_per_kwh_outlier');
      expect(ppk.some((g) => g.cdr.tariffs) && ppk.some((g) => !g.cdr.tariffs)).toBe(true);

      await until('anomaly events on NATS', () => events.length, (n) => n >= expected.size);
      const stored = await storedAnomalies(clickhouse);
      expect(new Set(events.map((e) => e.finding_key))).toEqual(expected);
      expect(new Set(stored.map((r) => r.finding_key))).toEqual(expected);
      expect(events.length).toBe(expected.size); // each finding published once
      expect(stored.map((r) => r.finding_key)).not.toContain(lateKey(onTime));
      const lateEvent = events.find((e) => e.finding_key === lateKey(late))!;
      expect(lateEvent).toMatchObject({ type: 'late_cdr', cdr_id: 'EDGE91', evidence: { days_after_session: 91, limit_days: 90 } });
      const embedded = ppk.find((g) => g.cdr.tariffs)!.cdr;
      expect(events.find((e) => e.cdr_id === embedded.id)).toMatchObject({ type: 'price_per_kwh_outlier', evidence: { why_judged_by_statistics: expect.stringContaining('tariff the CDR carries') } });
      // The schema check is acceptance's job: the detector writes no validation findings.
      const [{ n }] = await (await clickhouse.query({ query: 'SELECT count() AS n FROM validation_findings', format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(n)).toBe(0);
    } finally {
      await sub.unsubscribe();
      await pipelines.stop();
    }
  }, 180_000);

  it('takes the late-CDR limit from ANOMALY_LATE_CDR_DAYS (30: 29 days no, 31 and 89 days yes)', async () => {
    const { deps, clickhouse } = await isolated({ ANOMALY_LATE_CDR_DAYS: '30' });
    const { events, sub } = listen(deps);
    const pipelines = await startPipelines(deps, { ingest: { batchSize: 100, maxDelayMs: 50 }, anomalies: { batchSize: 100, maxDelayMs: 50 } });
    try {
      const data = generate({ seed: 12, cdrs: 200, todayMs: Date.now(), days: 5, anomalyRate: 0 });
      const [a, b, c] = distinctTokenCdrs(data, 3);
      const cdrs = [endedDaysAgo(a, 29, 'EDGE29'), endedDaysAgo(b, 31, 'EDGE31'), endedDaysAgo(c, 89, 'EDGE89')];
      await publishGenerated(deps, { ...data, cdrs: cdrs.map((cdr) => ({ cdr, label: null, publishAt: 0 })) }, 100_000);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      await until('anomaly events on NATS', () => events.length, (n) => n >= 2);
      expect(events.map((e) => e.finding_key).sort()).toEqual([lateKey(cdrs[1]), lateKey(cdrs[2])]);
      expect(events.find((e) => e.cdr_id === 'EDGE31')?.evidence).toMatchObject({ days_after_session: 31, limit_days: 30 });
      expect((await storedAnomalies(clickhouse)).map((r) => r.finding_key)).toEqual([lateKey(cdrs[1]), lateKey(cdrs[2])]);
    } finally {
      await sub.unsubscribe();
      await pipelines.stop();
    }
  }, 120_000);
});

describe('party drift in the running detector', () => {
  it('flags a party that went silent, judges each day only once ANOMALY_DRIFT_GRACE_H has passed after it (for every party), and re-reads only the days CDRs arrived for', async () => {
    const { deps, clickhouse } = await isolated({ ANOMALY_DRIFT_GRACE_H: '6' });
    const today = Math.floor(Date.now() / DAY) * DAY;
    const data = generate({ seed: 21, cdrs: 3600, todayMs: today, days: 40, anomalyRate: 0, drift: false });
    // NL*CPA sends nothing for its sessions of the last three days.
    const silentFrom = today - 3 * DAY;
    const silent = (g: { cdr: Record<string, any> }) => g.cdr.party_id === 'CPA' && Date.parse(g.cdr.end_date_time) >= silentFrom;
    const heldBack = data.cdrs.filter(silent);
    const ingest = await startIngest(deps, clickhouse, { batchSize: 1000, maxDelayMs: 50 });
    await publishGenerated(deps, { ...data, cdrs: data.cdrs.filter((g) => !silent(g)) }, 100_000);
    await waitForConsumers(deps, [INGEST_DURABLE], 60_000);

    const { events, sub } = listen(deps);
    // Five hours into today: yesterday has ended, but its grace (6 h) has not passed.
    let clock = today + 5 * HOUR;
    const detector = await startDetector(deps, clickhouse, { batchSize: 1000, maxDelayMs: 50, driftEveryMs: 200, now: () => clock });
    try {
      const day = (ms: number) => iso(ms).slice(0, 10);
      const driftKey = (party: { country_code: string; party_id: string; currency: string }, ms: number) => `party_volume_drift:${party.country_code}*${party.party_id}:${party.currency}:${day(ms)}`;
      const cpa = data.parties.cpos.find((p) => p.party_id === 'CPA')!;
      const drifts = () => events.filter((e) => e.type === 'party_volume_drift').map((e) => e.finding_key).sort();

      // Passes wait while the detector catches up; once it has, they judge the silent days past
      // their grace and nothing else, and stop: with nothing touched and no day's grace newly
      // passed a pass is not due. Yesterday is not judged yet: a nightly upload may still come.
      const silentDays = [3, 2, 1].map((n) => driftKey(cpa, today - n * DAY));
      await waitForConsumers(deps, [ANOMALIES_DURABLE], 60_000);
      await until('the silent days past their grace flagged', drifts, (d) => d.length >= 2);
      const runs = () => detector.stats().driftRuns;
      for (let last = -1; last !== runs(); ) {
        last = runs();
        await new Promise((r) => setTimeout(r, 1000)); // five timer ticks
      }
      expect(drifts()).toEqual(silentDays.slice(0, 2));

      // Six hours into today yesterday's grace has passed: it is judged, and still silent.
      clock = today + 6 * HOUR;
      await until('yesterday judged once its grace passed', drifts, (d) => d.length >= 3);
      expect(drifts()).toEqual(silentDays);

      // Today ends, and six hours later is judged for every party (none has CDRs for it).
      clock = today + DAY + 6 * HOUR;
      const closed = data.parties.cpos.map((p) => driftKey(p, today));
      await until('the day just closed judged', drifts, (d) => d.length >= silentDays.length + closed.length);
      expect(drifts()).toEqual([...silentDays, ...closed].sort());
      // The sink publishes before it stores (./sink.ts): ClickHouse may be a moment behind the events.
      const storedDrifts = async () => (await storedAnomalies(clickhouse)).filter((r) => r.type === 'party_volume_drift').map((r) => r.finding_key);
      await until('the drift findings stored', storedDrifts, (d) => d.length >= silentDays.length + closed.length);
      expect(await storedDrifts()).toEqual([...silentDays, ...closed].sort());

      // A late CDR for one silent day: only that day is read again (and stays an outage: no new finding).
      const before = detector.stats();
      await publishGenerated(deps, { ...data, locations: [], tariffs: [], cdrs: heldBack.filter((g) => Date.parse(g.cdr.end_date_time) < today - 2 * DAY).slice(0, 1) }, 1000);
      await until('a drift pass after the late CDR', () => detector.stats().driftRuns, (n) => n > before.driftRuns);
      expect(detector.stats().driftDaysRead - before.driftDaysRead).toBe(1);
      expect(drifts()).toHaveLength(silentDays.length + closed.length);
    } finally {
      await sub.unsubscribe();
      await detector.stop();
      await ingest.stop();
    }
  }, 180_000);
});

describe('a drift finding the data no longer supports', () => {
  it('is withdrawn when a late batch fills in the outage day: kept in ClickHouse as withdrawn with the reason, its review item withdrawn (and not disputable), a withdrawal event; found again, it stands again', async () => {
    const { deps, clickhouse } = await isolated({ ANOMALY_DRIFT_GRACE_H: '6' });
    const today = Math.floor(Date.now() / DAY) * DAY;
    // Namespace W: parties of their own (the review queue is shared by this file's tests).
    const data = generate({ seed: 22, cdrs: 3600, todayMs: today, days: 40, anomalyRate: 0, drift: false, namespace: 'W' });
    const party = data.parties.cpos[0];
    const outageDay = today - 3 * DAY;
    const late = (g: { cdr: Record<string, any> }) => g.cdr.party_id === party.party_id && Date.parse(g.cdr.end_date_time) >= outageDay && Date.parse(g.cdr.end_date_time) < outageDay + DAY;
    const heldBack = data.cdrs.filter(late);
    expect(heldBack.length).toBeGreaterThan(10);
    const ingest = await startIngest(deps, clickhouse, { batchSize: 1000, maxDelayMs: 50 });
    await publishGenerated(deps, { ...data, cdrs: data.cdrs.filter((g) => !late(g)) }, 100_000);
    await waitForConsumers(deps, [INGEST_DURABLE], 60_000);

    const { events, sub } = listen(deps);
    const withdrawnSub = deps.bus.nc.subscribe(deps.bus.subjects.events('anomaly_withdrawn'));
    const withdrawn: AnomalyWithdrawnEvent[] = [];
    void (async () => {
      for await (const m of withdrawnSub) withdrawn.push(m.json<AnomalyWithdrawnEvent>());
    })();
    // Six hours into today: every day up to yesterday is past its grace and judged.
    const detector = await startDetector(deps, clickhouse, { batchSize: 1000, maxDelayMs: 50, driftEveryMs: 200, now: () => today + 6 * HOUR });
    const key = `party_volume_drift:${party.country_code}*${party.party_id}:${party.currency}:${iso(outageDay).slice(0, 10)}`;
    const stored = async () =>
      (await (await clickhouse.query({ query: `SELECT toUInt32(withdrawn_at) AS withdrawn_at, withdrawn_reason, toUInt32(detected_at) AS detected_at FROM anomalies FINAL WHERE finding_key = '${key}'`, format: 'JSONEachRow' })).json<{ withdrawn_at: number; withdrawn_reason: string; detected_at: number }>());
    const item = () => deps.db('review_items').where({ finding_key: key }).first();
    try {
      await waitForConsumers(deps, [ANOMALIES_DURABLE], 60_000);
      const found = await until('the outage day flagged', () => events.find((e) => e.finding_key === key), (e) => e !== undefined);
      expect(found).toMatchObject({ type: 'party_volume_drift', evidence: { drifting: expect.arrayContaining(['cdrs']) } });
      expect((await item()).status).toBe('open');
      const standing = () => events.filter((e) => e.type === 'party_volume_drift' && e.party_id === party.party_id).map((e) => e.finding_key);
      expect(standing()).toEqual([key]);

      // The day's CDRs arrive in a very late batch: the day is judged again and the outage withdrawn.
      const before = detector.stats();
      await publishGenerated(deps, { ...data, locations: [], tariffs: [], cdrs: heldBack }, 100_000);
      const event = await until('the withdrawal published', () => withdrawn.find((e) => e.finding_key === key), (e) => e !== undefined);
      expect(event).toMatchObject({ type: 'party_volume_drift', party_id: party.party_id, reason: expect.stringMatching(/within the party's usual range/), rejudged: { day: iso(outageDay).slice(0, 10) } });
      // Still in ClickHouse, withdrawn with the reason: history is kept, and FINAL shows the withdrawal.
      const [row] = await until('the withdrawal stored', stored, (r) => r.length === 1 && r[0].withdrawn_at > 0);
      expect(row.withdrawn_reason).toBe(event!.reason);
      expect(row.detected_at).toBe(Date.parse(found!.detected_at) / 1000);
      expect(await item()).toMatchObject({ status: 'withdrawn', note: expect.stringMatching(/^withdrawn by the anomaly detector: judged again/), evidence: expect.objectContaining({ withdrawn: expect.objectContaining({ reason: event!.reason }) }) });
      await expect(disputeReviewItem(deps.db, Number((await item()).id), null)).rejects.toThrow(/was withdrawn \(withdrawn by the anomaly detector/);
      await until('the pass counted as done', () => detector.stats().withdrawn - before.withdrawn, (n) => n >= 1);
      expect(detector.stats().withdrawn - before.withdrawn).toBe(1);
      expect(standing()).toEqual([key]); // nothing else flagged for the party, nothing published twice

      // Found again (as if later data took the day back down): it stands again and its item is open.
      await writeFindings(deps, clickhouse, [{ key, type: 'party_volume_drift', severity: found!.severity, country_code: found!.country_code, party_id: found!.party_id, cdr_id: null, currency: found!.currency, amount_at_risk: found!.amount_at_risk, evidence: found!.evidence, accepted_at: Date.parse(found!.accepted_at) / 1000 }]);
      expect((await stored())[0].withdrawn_at).toBe(0);
      expect(await item()).toMatchObject({ status: 'open', note: null });
      expect((await item()).evidence.withdrawn).toBeUndefined();
    } finally {
      await sub.unsubscribe();
      await withdrawnSub.unsubscribe();
      await detector.stop();
      await ingest.stop();
    }
  }, 180_000);
});

describe('a credit CDR arriving after the re-issue of the session it credits', () => {
  it('withdraws the duplicate_session finding the re-issue got while the original stood: withdrawn in ClickHouse with the reason, its review item withdrawn, a withdrawal event', async () => {
    const { deps, clickhouse } = await isolated();
    const data = generate({ seed: 41, cdrs: 60, todayMs: Date.now(), days: 5, anomalyRate: 0, drift: false, namespace: 'Q' });
    const [base] = distinctTokenCdrs(data, 1);
    // Ids of their own: the review queue (Postgres) outlives this run's ClickHouse database.
    const tag = `QM${randomBytes(3).toString('hex').toUpperCase()}`;
    const original: Record<string, any> = { ...structuredClone(base), id: `${tag}-A` };
    const reissue: Record<string, any> = { ...structuredClone(base), id: `${tag}-B` };
    const negate = (m: Record<string, number> | undefined) => m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, -v]));
    const credit: Record<string, any> = { ...structuredClone(base), id: `${tag}-C`, credit: true, credit_reference_id: original.id, total_cost: negate(base.total_cost), total_energy_cost: negate(base.total_energy_cost), total_time_cost: negate(base.total_time_cost), total_fixed_cost: negate(base.total_fixed_cost) };
    const key = cdrFindingKey('duplicate_session', reissue as { country_code: string; party_id: string; id: string });

    const { events, sub } = listen(deps);
    const withdrawnSub = deps.bus.nc.subscribe(deps.bus.subjects.events('anomaly_withdrawn'));
    const withdrawn: AnomalyWithdrawnEvent[] = [];
    void (async () => {
      for await (const m of withdrawnSub) withdrawn.push(m.json<AnomalyWithdrawnEvent>());
    })();
    const pipelines = await startPipelines(deps, { ingest: { batchSize: 100, maxDelayMs: 50 }, anomalies: { batchSize: 100, maxDelayMs: 50, driftEveryMs: 0 }, only: ['ingest', 'anomalies'] });
    const stored = async () =>
      (await (await clickhouse.query({ query: `SELECT toUInt32(withdrawn_at) AS withdrawn_at, withdrawn_reason FROM anomalies FINAL WHERE finding_key = '${key}'`, format: 'JSONEachRow' })).json<{ withdrawn_at: number; withdrawn_reason: string }>());
    const item = () => deps.db('review_items').where({ finding_key: key }).first();
    try {
      // The re-issue comes before the credit: until the credit arrives, the session is billed twice.
      await publishGenerated(deps, { ...data, cdrs: [original, reissue].map((cdr) => ({ cdr, label: null, publishAt: 0 })) }, 100_000);
      await until('the re-issue flagged', () => events.find((e) => e.finding_key === key), (e) => e !== undefined);
      await until('the finding stored', stored, (r) => r.length === 1 && r[0].withdrawn_at === 0);
      expect((await item()).status).toBe('open');

      await publishGenerated(deps, { ...data, locations: [], tariffs: [], cdrs: [{ cdr: credit, label: null, publishAt: 0 }] }, 100_000);
      const event = await until('the withdrawal published', () => withdrawn.find((e) => e.finding_key === key), (e) => e !== undefined);
      expect(event).toMatchObject({ type: 'duplicate_session', cdr_id: reissue.id, reason: `${original.country_code}*${original.party_id}*${original.id} was credited by credit CDR ${credit.id}: the session is billed once`, rejudged: { credit_cdr_id: credit.id } });
      const [row] = await until('the withdrawal stored', stored, (r) => r.length === 1 && r[0].withdrawn_at > 0);
      expect(row.withdrawn_reason).toBe(event!.reason);
      expect((await item()).status).toBe('withdrawn');
      // Standing findings of the three CDRs: none (the credit is not judged, the original was first).
      const standing = await (await clickhouse.query({ query: `SELECT finding_key FROM anomalies FINAL WHERE withdrawn_at = toDateTime(0) AND cdr_id LIKE '${tag}-%'`, format: 'JSONEachRow' })).json();
      expect(standing).toEqual([]);
    } finally {
      await sub.unsubscribe();
      await withdrawnSub.unsubscribe();
      await pipelines.stop();
    }
  }, 120_000);
});

describe('price per kWh of a DC session at a location that also has AC chargers', () => {
  it('is judged against the location\'s DC sessions, not its cheaper AC ones: a usual DC price is no outlier, three times it still is', async () => {
    const { deps, clickhouse } = await isolated();
    const { events, sub } = listen(deps);
    const data = generate({ seed: 43, cdrs: 60, todayMs: Date.now(), days: 5, anomalyRate: 0, drift: false, namespace: 'Q' });
    const [base] = distinctTokenCdrs(data, 1);
    const tag = `QN${randomBytes(3).toString('hex').toUpperCase()}`;
    // No tariff named or carried: the hub cannot recompute the price, so price per kWh decides.
    // 20 kWh in two hours at 0.40/kWh on AC, 0.70/kWh on DC; each session its own token and session.
    const session = (n: number, power: 'AC_3_PHASE' | 'DC', perKwh: number): Record<string, any> => {
      const cdr = structuredClone(base);
      delete cdr.tariffs;
      for (const p of cdr.charging_periods) delete p.tariff_id;
      const excl = Math.round(20 * perKwh * 100) / 100;
      return Object.assign(cdr, {
        id: `${tag}-${n}`,
        session_id: `${tag}-S${n}`,
        cdr_token: { ...cdr.cdr_token, uid: `${tag}-T${n}` },
        cdr_location: { ...cdr.cdr_location, connector_power_type: power },
        total_energy: 20,
        total_cost: { excl_vat: excl, incl_vat: Math.round(excl * 121) / 100 },
        total_energy_cost: { excl_vat: excl, incl_vat: Math.round(excl * 121) / 100 },
        total_time_cost: undefined,
        total_fixed_cost: undefined,
        total_parking_cost: undefined,
      });
    };
    const history = [...Array.from({ length: 30 }, (_, i) => session(i, 'AC_3_PHASE', 0.4 + (i % 3) * 0.01)), ...Array.from({ length: 12 }, (_, i) => session(100 + i, 'DC', 0.69 + (i % 3) * 0.01))];
    const usualDc = session(200, 'DC', 0.7);
    const dearDc = session(201, 'DC', 2.1);
    const key = (cdr: Record<string, any>) => cdrFindingKey('price_per_kwh_outlier', cdr as { country_code: string; party_id: string; id: string });
    const pipelines = await startPipelines(deps, { ingest: { batchSize: 100, maxDelayMs: 50 }, anomalies: { batchSize: 100, maxDelayMs: 50, driftEveryMs: 0, statsTtlMs: 0 }, only: ['ingest', 'anomalies'] });
    try {
      await publishGenerated(deps, { ...data, cdrs: history.map((cdr) => ({ cdr, label: null, publishAt: 0 })) }, 100_000);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      await publishGenerated(deps, { ...data, locations: [], tariffs: [], cdrs: [usualDc, dearDc].map((cdr) => ({ cdr, label: null, publishAt: 0 })) }, 100_000);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      await until('the dear DC session flagged', () => events.find((e) => e.finding_key === key(dearDc)), (e) => e !== undefined);
      const flagged = events.filter((e) => e.type === 'price_per_kwh_outlier' && e.cdr_id?.startsWith(tag)).map((e) => e.cdr_id);
      expect(flagged).toEqual([dearDc.id]);
    } finally {
      await sub.unsubscribe();
      await pipelines.stop();
    }
  }, 120_000);
});

describe('look-up tables', () => {
  it('answer the per-batch questions from narrow tables, one row per CDR however often it was stored', async () => {
    const { deps, clickhouse } = await isolated();
    const data = generate({ seed: 31, cdrs: 400, todayMs: Date.now(), days: 10, anomalyRate: 0 });
    // Stored twice: the copies must collapse when read.
    await publishGenerated(deps, data, 100_000);
    await publishGenerated(deps, data, 100_000);
    const ingest = await startIngest(deps, clickhouse, { batchSize: 300, maxDelayMs: 50 });
    await waitForConsumers(deps, [INGEST_DURABLE], 60_000);
    await ingest.stop();
    const count = async (sql: string) => Number((await (await clickhouse.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    expect(await count('SELECT count() AS n FROM cdrs_by_session')).toBe(2 * data.cdrs.length);

    const cdr = data.cdrs.find((g) => !g.cdr.credit)!.cdr;
    const sessionKey = `${cdr.country_code}*${cdr.party_id}*S*${cdr.session_id}`;
    const token: [string, string, string] = [cdr.cdr_token.country_code, cdr.cdr_token.party_id, cdr.cdr_token.uid];
    const found = await neighbours(clickhouse, [sessionKey], [token]);
    const sameToken = data.cdrs.filter((g) => g.cdr.cdr_token.uid === token[2] && g.cdr.cdr_token.party_id === token[1]).map((g) => g.cdr.id);
    expect(found.map((c) => c.id).sort()).toEqual([...new Set([cdr.id, ...sameToken])].sort());
    // The token's type comes along: a uid is one token per type (overlapFinding tells them apart).
    expect(found.find((c) => c.id === cdr.id)?.token_type).toBe(cdr.cdr_token.type);
    expect(found.find((c) => c.id === cdr.id)?.stream_seq).toBe(Math.min(...(await (await clickhouse.query({ query: `SELECT toUInt64(stream_seq) AS s FROM cdrs WHERE id = '${cdr.id}'`, format: 'JSONEachRow' })).json<{ s: string }>()).map((r) => Number(r.s))));

    // Tariffs come with the time their held version was updated: price checks judge by it.
    const tariffs = await tariffsByKey(clickhouse, data.tariffs.map((t) => [t.country_code!, t.party_id!, t.id]));
    expect(tariffs.size).toBe(data.tariffs.length);
    for (const t of data.tariffs) expect(tariffs.get(`${t.country_code}*${t.party_id}*${t.id}`)?.lastUpdated).toBe(Date.parse(t.last_updated!) / 1000);

    // Price per kWh from the price points equals the same statistic computed over `cdrs FINAL`
    // (per location and kind of power: DC apart from AC).
    const power = cdr.cdr_location.connector_power_type;
    const loc = [cdr.country_code, cdr.party_id, locationPowerScope(cdr.cdr_location.id, power), cdr.currency] as [string, string, string, string];
    const stat = (await pricePerKwhStats(clickhouse, 'location_power', [loc], 5)).get(loc.join('*'))!;
    const direct = (await (await clickhouse.query({
      query: `SELECT count() AS n, quantileExact(0.5)(toFloat64(total_cost_excl) / toFloat64(total_energy)) AS med FROM cdrs FINAL
              WHERE country_code = '${loc[0]}' AND party_id = '${loc[1]}' AND location_id = '${cdr.cdr_location.id}' AND ${power === 'DC' ? "connector_power_type = 'DC'" : "connector_power_type != 'DC'"} AND currency = '${loc[3]}' AND credit = 0 AND total_energy >= 5 AND total_cost_excl > 0`,
      format: 'JSONEachRow',
    })).json<{ n: string; med: number }>())[0];
    expect(stat.n).toBe(Number(direct.n));
    expect(stat.median).toBeCloseTo(Number(direct.med), 9);
  });
});
