// CDR ids are CiStrings: a credit CDR may name its original in another case (credit_reference_id
// "d-0" for the CDR "D-0"). The running anomaly detector must still find the original in the
// credit's session group and re-read the original's day for party drift, so a surge of re-issues
// sent before their credits is withdrawn once the credits arrive (as for an exact spelling,
// driftCredits.test.ts).
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { startPipelines } from '../../pipelines/index.ts';
import { INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
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

const cpo = { country_code: 'NL', party_id: 'DIX' };
const emsp = { country_code: 'DE', party_id: 'DIM' };
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
    cdr_location: { id: 'L1', evse_uid: `E-${id}`, evse_id: `NL*DIX*E${n}`, connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(end - HOUR), dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }] }],
    total_cost: money(excl),
    total_energy: 10,
    total_time: 1,
    last_updated: iso(end),
    ...extra,
  };
}

/** The credit CDR of `original`: the same session, costs negated, dated `day` (the original's by default). */
const creditOf = (original: Record<string, any>, day?: string): Record<string, any> => ({
  ...structuredClone(original),
  id: `CR-${original.id}`,
  credit: true,
  credit_reference_id: original.id.toLowerCase(),
  total_cost: money(-original.total_cost.excl_vat),
  ...(day ? { end_date_time: `${day}T13:00:00Z`, last_updated: `${day}T13:00:00Z` } : {}),
});

/** The corrected re-issue of `original`: the same session at another price. */
const reissueOf = (original: Record<string, any>, excl: number): Record<string, any> => ({ ...structuredClone(original), id: `RE-${original.id}`, total_cost: money(excl) });

const dayAfter = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

async function until<T>(what: string, probe: () => T, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('party drift in the running detector, when credit CDRs name their originals in another case', () => {
  it('re-reads the credited originals\' day: a surge of re-issues sent before their credits is withdrawn once the credits arrive', async () => {
    const suffix = randomBytes(3).toString('hex');
    const config = testConfig({ PORT: '18080', ANOMALY_DRIFT_GRACE_H: '6', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_dx${suffix}` });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(ch);
    const deps = await buildDeps(config, createLogger({ level: 'silent' }), 'drift-credit-case-test');
    opened.push({ ch, database: config.CLICKHOUSE_DATABASE, deps });

    // 28 days of 10 sessions of 5 EUR; the judged day D (three days ago) has 12 sessions billed at
    // 0.50 EUR and their re-issues at 5 EUR (the credits not sent yet): 24 CDRs, a surge. The two
    // days after it have 10 sessions each. Six hours into today every day up to yesterday is judged.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const d = dayOf(today - 3 * DAY);
    const cdrs: Record<string, any>[] = [];
    for (let h = -28; h <= 2; h++) if (h !== 0) for (let n = 0; n < 10; n++) cdrs.push(aCdr(`T${h + 28}-${n}`, dayAfter(d, h), n, 5));
    const originals = Array.from({ length: 12 }, (_, n) => aCdr(`D-${n}`, d, 20 + n, 0.5));
    cdrs.push(...originals, ...originals.map((o) => reissueOf(o, 5)));
    const publish = async (list: Record<string, any>[]) => {
      for (const cdr of list) await publishOcpi(deps, 'cdrs', cdr, [], cpo, emsp, `cdrs:NL*DIX*${cdr.id}`, 'post').done;
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
      const key = driftFindingKey(party, d);
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      const drifts = () => anomalies.filter((e) => e.type === 'party_volume_drift').map((e) => e.finding_key);
      await until('the surge on D flagged', drifts, (k) => k.includes(key), 30_000);
      expect(drifts()).toEqual([key]);

      // The credits, dated the day after D: D holds 12 sessions again.
      await publish(originals.map((o) => creditOf(o, dayAfter(d, 1))));
      const event = await until('the surge withdrawn', () => withdrawn.find((e) => e.finding_key === key), (e) => e !== undefined, 30_000);
      expect(event).toMatchObject({ type: 'party_volume_drift', rejudged: { day: d } });
      expect(drifts()).toEqual([key]);
    } finally {
      for (const sub of subs) sub.unsubscribe();
      await pipelines.stop();
    }
  }, 180_000);
});
