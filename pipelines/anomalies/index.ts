// Near-real-time billing anomaly detection. A durable consumer reads the CDR pushes from the OCPI
// stream; a batch is judged only once the ingester has stored every message up to the batch's
// last sequence (its ack floor), so the set-based rules see all earlier CDRs in ClickHouse. Per-CDR
// rules run in process (tariff recomputation with ocpi/tariffs), set-based ones read ClickHouse.
// Findings go to ClickHouse, NATS and Postgres review_items before the batch is acknowledged.
// Schema validity is not judged here: acceptance rejects schema-invalid CDRs before they reach the
// stream. Party drift runs on its own, slower timer over cdr_facts, re-reading only the days that
// received CDRs since its last pass, or lost a session to a credit CDR (./drift.ts), and waits while the detector is catching up on a
// backlog (a day half replayed would look like an outage). A drift finding that a day judged again
// no longer supports (late CDRs filled in an outage) is withdrawn, not deleted (./sink.ts); so is
// a duplicate_session or overlapping_sessions finding once a credit CDR for the earlier CDR arrives
// (a re-issue sent before the credit of the CDR it replaces).
import type { ClickHouseClient } from '@clickhouse/client';
import type { JsMsg } from '@nats-io/jetstream';
import type { HubDeps } from '../../src/deps.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import type { CdrInput } from '../../ocpi/tariffs/types.ts';
import { runBatchConsumer } from '../batchConsumer.ts';
import { INGEST_DURABLE } from '../ingest/index.ts';
import { cdrRows, UnmappableMessage, type CdrRow } from '../ingest/transform.ts';
import { locationFacts, locationPowerScope, neighbours, pricePerKwhStats, standingCdrFindings, tariffsByKey } from './queries.ts';
import {
  cdrIdentity,
  checkPrice,
  creditedIdentity,
  defaultDriftSettings,
  defaultRuleSettings,
  duplicateSessionFinding,
  overlapFinding,
  ppkFinding,
  singleCdrFindings,
  statisticsNeeded,
  takenBackByCredits,
  type DriftSettings,
  tokenKeyOf,
  type CdrLite,
  type Finding,
  type RobustStat,
  type RuleSettings,
} from './rules.ts';
import { driftTracker, fullDriftPass } from './drift.ts';
import { withdrawFindings, writeFindings, type Withdrawal } from './sink.ts';

export const ANOMALIES_DURABLE = 'analytics-anomalies';

export interface DetectorOptions {
  rules?: Partial<RuleSettings>;
  drift?: Partial<DriftSettings>;
  batchSize?: number;
  maxDelayMs?: number;
  /** How often party drift is judged (ms; default ANOMALY_DRIFT_INTERVAL_MS); 0: never (runDriftOnce only). */
  driftEveryMs?: number;
  /** The clock drift judges by (tests move it past a day's end and grace). */
  now?: () => number;
  /** How long a batch waits for the ingester before it is retried (ms). */
  ingestWaitMs?: number;
  /** How long price-per-kWh statistics are reused (ms). */
  statsTtlMs?: number;
}

type Key4 = [string, string, string, string];

/**
 * Caches statistics per key for `ttlMs`; fetches only the keys missing or expired. A statistic
 * with too few samples to judge by is not cached: the next batch asks again, as history grows.
 */
function statsCache(fetch: (keys: Key4[]) => Promise<Map<string, RobustStat>>, ttlMs: number, minSamples: number) {
  const cached = new Map<string, { at: number; stat: RobustStat | null }>();
  return {
    async get(keys: Key4[]): Promise<Map<string, RobustStat>> {
      const now = Date.now();
      const wanted = new Map(keys.map((k) => [k.join('*'), k]));
      const missing = [...wanted].filter(([k]) => (cached.get(k)?.at ?? 0) < now - ttlMs).map(([, k]) => k);
      if (missing.length) {
        const fresh = await fetch(missing);
        for (const k of missing) {
          const stat = fresh.get(k.join('*')) ?? null;
          cached.set(k.join('*'), { at: stat && stat.n >= minSamples ? now : 0, stat });
        }
      }
      const out = new Map<string, RobustStat>();
      for (const k of wanted.keys()) {
        const hit = cached.get(k)?.stat;
        if (hit) out.set(k, hit);
      }
      return out;
    },
  };
}

export interface RunningDetector {
  stop(): Promise<void>;
  stats(): { cdrs: number; findings: number; withdrawn: number; driftRuns: number; driftDaysRead: number; lastError: string | null };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Subject {
  row: CdrRow;
  body: CdrInput & Record<string, unknown>;
}

export async function startDetector(deps: HubDeps, clickhouse: ClickHouseClient, options: DetectorOptions = {}): Promise<RunningDetector> {
  const log = deps.log.child({ role: 'pipelines', pipeline: 'anomalies' });
  const settings: RuleSettings = { ...defaultRuleSettings, ...options.rules };
  const driftSettings: DriftSettings = { ...defaultDriftSettings, graceHours: deps.config.ANOMALY_DRIFT_GRACE_H, ...options.drift };
  const { subjects } = deps.bus;
  const stats = { cdrs: 0, findings: 0, withdrawn: 0, driftRuns: 0, driftDaysRead: 0, lastError: null as string | null };
  const drift = driftTracker(clickhouse, driftSettings);
  const clock = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 1000;
  // Price-per-kWh statistics move slowly: each location's and tariff's are read at most every few
  // seconds. A location's are per kind of power: DC sessions are judged against DC sessions.
  const ppkCache = {
    location: statsCache((keys) => pricePerKwhStats(clickhouse, 'location_power', keys, settings.ppkMinKwh), options.statsTtlMs ?? 5000, settings.minSamples),
    tariff: statsCache((keys) => pricePerKwhStats(clickhouse, 'tariff_id', keys, settings.ppkMinKwh), options.statsTtlMs ?? 5000, settings.minSamples),
  };

  const ingestFloor = async (): Promise<number> => {
    const info = await deps.bus.jsm.consumers.info(subjects.streams.ocpi, INGEST_DURABLE);
    return info.ack_floor.stream_seq;
  };

  const waitForIngest = async (seq: number, held: JsMsg[]) => {
    const deadline = Date.now() + (options.ingestWaitMs ?? 30_000);
    for (let i = 0; ; i++) {
      if ((await ingestFloor()) >= seq) return;
      if (Date.now() > deadline) throw new Error(`ingestion has not stored stream sequence ${seq} yet`);
      if (i % 20 === 19) for (const m of held) m.working();
      await sleep(50);
    }
  };

  const judge = async (subjectsIn: Subject[]): Promise<{ findings: Finding[]; withdrawals: Withdrawal[]; credited: CdrLite[] }> => {
    const rows = subjectsIn.map((s) => s.row);
    const tariffKeys = new Map<string, [string, string, string]>();
    const connectorKeys = new Map<string, [string, string, string, string, string]>();
    for (const r of rows) {
      if (r.tariff_id) tariffKeys.set(`${r.country_code}*${r.party_id}*${r.tariff_id}`, [r.country_code, r.party_id, r.tariff_id]);
      connectorKeys.set(`${r.country_code}*${r.party_id}*${r.location_id}*${r.evse_uid}*${r.connector_id}`, [r.country_code, r.party_id, r.location_id, r.evse_uid, r.connector_id]);
    }
    const sessionKeys = [...new Set(rows.map((r) => r.session_key))];
    const tokens = [...new Map(rows.filter((r) => r.token_uid).map((r) => [`${r.token_country_code}*${r.token_party_id}*${r.token_uid}`, [r.token_country_code, r.token_party_id, r.token_uid] as [string, string, string]])).values()];
    const q0 = Date.now();
    const [tariffs, facts, near] = await Promise.all([
      tariffsByKey(clickhouse, [...tariffKeys.values()]),
      locationFacts(clickhouse, [...connectorKeys.values()]),
      neighbours(clickhouse, sessionKeys, tokens),
    ]);
    // By identity (the id in any case): a credit CDR may name its original in another case.
    const stored = new Map(near.map((c) => [cdrIdentity(c.country_code, c.party_id, c.id), c]));
    const group = (key: (c: CdrLite) => string) => {
      const m = new Map<string, CdrLite[]>();
      for (const c of near) {
        const k = key(c);
        const list = m.get(k);
        if (list) list.push(c);
        else m.set(k, [c]);
      }
      return m;
    };
    const bySession = group((c) => c.session_key);
    const byToken = group(tokenKeyOf);
    const q1 = Date.now();

    const findings: Finding[] = [];
    // CDRs whose price per kWh is judged by statistics (the hub holds no tariff to recompute with).
    const statistical: { s: Subject; price: ReturnType<typeof checkPrice> }[] = [];
    for (const subject of subjectsIn) {
      // Set-based: the stored copy carries the arrival order (first stream sequence that stored it).
      const self = stored.get(cdrIdentity(subject.row.country_code, subject.row.party_id, subject.row.id));
      // The CDR id is a CiString: a CDR that reached the stream again under another spelling (`hub
      // cdrs import` past the stream's dedupe window) is judged under its first stored spelling, so
      // its findings keep their keys and the sink, idempotent per key, records them once.
      const s = self && self.id !== subject.row.id ? { ...subject, row: { ...subject.row, id: self.id } } : subject;
      const r = s.row;
      const known = r.tariff_id ? tariffs.get(`${r.country_code}*${r.party_id}*${r.tariff_id}`) : undefined;
      const price = checkPrice(s.body, known ?? null, facts.timeZone.get(`${r.country_code}*${r.party_id}*${r.location_id}`) ?? null, r.tariff_id, settings);
      const powerW = facts.powerW.get(`${r.country_code}*${r.party_id}*${r.location_id}*${r.evse_uid}*${r.connector_id}`) ?? null;
      const single = singleCdrFindings(r, { connectorPowerW: powerW, price }, settings);
      findings.push(...single);
      if (statisticsNeeded(price) !== null && !single.some((f) => f.type === 'non_positive_total')) statistical.push({ s, price });

      if (self) {
        // Credit CDRs of this session are in its session group (a credit copies the session).
        const duplicate = duplicateSessionFinding(self, bySession.get(self.session_key) ?? []);
        if (duplicate) findings.push(duplicate);
        else {
          const overlap = overlapFinding(self, [...(byToken.get(tokenKeyOf(self)) ?? []), ...(bySession.get(self.session_key) ?? [])]);
          if (overlap) findings.push(overlap);
        }
      }
    }

    const q2 = Date.now();
    if (statistical.length) {
      const key = (r: CdrRow, k: string): [string, string, string, string] => [r.country_code, r.party_id, k, r.currency];
      const [byLocation, byTariff] = await Promise.all([
        ppkCache.location.get(statistical.map(({ s }) => key(s.row, locationPowerScope(s.row.location_id, s.row.connector_power_type)))),
        ppkCache.tariff.get(statistical.filter(({ s }) => s.row.tariff_id).map(({ s }) => key(s.row, s.row.tariff_id))),
      ]);
      for (const { s, price } of statistical) {
        const r = s.row;
        const f = ppkFinding(r, price, {
          location: byLocation.get(`${r.country_code}*${r.party_id}*${locationPowerScope(r.location_id, r.connector_power_type)}*${r.currency}`) ?? null,
          tariff: r.tariff_id ? (byTariff.get(`${r.country_code}*${r.party_id}*${r.tariff_id}*${r.currency}`) ?? null) : null,
        }, settings);
        if (f) findings.push(f);
      }
    }
    // A credit arriving after a re-issue takes back the duplicate (or overlap) it caused.
    const credits = subjectsIn.map((s) => stored.get(cdrIdentity(s.row.country_code, s.row.party_id, s.row.id))).filter((c): c is CdrLite => c !== undefined && c.credit === 1);
    const takenBack = new Map(takenBackByCredits(credits, near).map((t) => [t.key, t]));
    const standing = await standingCdrFindings(clickhouse, ['duplicate_session', 'overlapping_sessions'], [...takenBack.keys()]);
    const withdrawals: Withdrawal[] = standing.map((finding) => ({ finding, reason: takenBack.get(finding.finding_key)!.reason, rejudged: { credit_cdr_id: takenBack.get(finding.finding_key)!.credit_cdr_id } }));
    // The originals the credit CDRs name (in their session group): each is a session less on its
    // own day, which may not be the credit's, so drift reads that day again too.
    const credited = credits.map((c) => stored.get(creditedIdentity(c))).filter((c): c is CdrLite => c !== undefined);
    log.debug({ lookups_ms: q1 - q0, rules_ms: q2 - q1, ppk_ms: Date.now() - q2, statistical: statistical.length }, 'judge timings');
    return { findings, withdrawals, credited };
  };

  const consumer = await runBatchConsumer(
    deps.bus,
    {
      stream: subjects.streams.ocpi,
      durable: ANOMALIES_DURABLE,
      filterSubject: subjects.moduleAll('cdrs'),
      batchSize,
      maxDelayMs: options.maxDelayMs ?? 200,
      maxAckPending: batchSize * 8,
    },
    async (messages) => {
      const t0 = Date.now();
      await waitForIngest(Math.max(...messages.map((m) => m.seq)), messages);
      const t1 = Date.now();
      const batch = new Map<string, Subject>();
      const now = Math.floor(Date.now() / 1000);
      for (const msg of messages) {
        try {
          const message = msg.json<OcpiPushMessage>();
          if (message.event !== 'post' && message.event !== 'put') continue;
          const { cdr } = cdrRows(message, { seq: msg.seq, ingestedAt: now });
          const key = cdrIdentity(cdr.country_code, cdr.party_id, cdr.id);
          if (batch.has(key)) continue;
          batch.set(key, { row: cdr, body: message.body as Subject['body'] });
        } catch (err) {
          if (!(err instanceof UnmappableMessage) && !(err instanceof SyntaxError)) throw err;
        }
      }
      if (batch.size === 0) return;
      const t2 = Date.now();
      const { findings, withdrawals, credited } = await judge([...batch.values()]);
      const t3 = Date.now();
      await writeFindings(deps, clickhouse, findings);
      await withdrawFindings(deps, clickhouse, withdrawals);
      log.debug({ cdrs: batch.size, findings: findings.length, wait_ingest_ms: t1 - t0, parse_ms: t2 - t1, judge_ms: t3 - t2, write_ms: Date.now() - t3 }, 'anomaly batch judged');
      drift.touch([...[...batch.values()].map((s) => s.row), ...credited]);
      stats.cdrs += batch.size;
      stats.findings += findings.length;
      stats.withdrawn += withdrawals.length;
    },
    log,
  );

  let stopping = false;
  let wake: (() => void) | null = null;
  const driftEveryMs = options.driftEveryMs ?? deps.config.ANOMALY_DRIFT_INTERVAL_MS;
  /** A backlog of more than a batch: days are still being replayed, so drift waits. */
  const catchingUp = async () => {
    const info = await deps.bus.jsm.consumers.info(subjects.streams.ocpi, ANOMALIES_DURABLE);
    return info.num_pending > batchSize;
  };
  const driftLoop = (async () => {
    if (driftEveryMs <= 0) return;
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, driftEveryMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopping || !drift.due(clock())) continue;
      try {
        if (await catchingUp()) {
          log.debug('drift waits: the detector is catching up');
          continue;
        }
        const t0 = Date.now();
        const pass = await drift.run(clock(), async (findings, withdrawals) => {
          await writeFindings(deps, clickhouse, findings);
          await withdrawFindings(deps, clickhouse, withdrawals);
        });
        stats.driftRuns++;
        stats.driftDaysRead += pass.daysRead;
        stats.findings += pass.findings.length;
        stats.withdrawn += pass.withdrawals.length;
        log.debug({ full: pass.full, days_read: pass.daysRead, findings: pass.findings.length, withdrawn: pass.withdrawals.length, ms: Date.now() - t0 }, 'drift judged');
      } catch (err) {
        stats.lastError = err instanceof Error ? err.message : String(err);
        log.warn({ err }, 'drift detection failed; will retry');
      }
    }
  })();

  return {
    stats: () => ({ ...stats, lastError: stats.lastError ?? consumer.stats().lastError }),
    async stop() {
      stopping = true;
      (wake as (() => void) | null)?.();
      await consumer.stop();
      await driftLoop;
    },
  };
}

/**
 * One full drift pass: every party-day of the window past its grace (default 24 h) judged against
 * its history; findings written, and standing ones the verdicts no longer support withdrawn.
 */
export async function runDriftOnce(deps: Pick<HubDeps, 'db' | 'bus'>, clickhouse: ClickHouseClient, settings: Partial<DriftSettings> = {}, nowMs = Date.now()): Promise<Finding[]> {
  const { findings, withdrawals } = await fullDriftPass(clickhouse, nowMs, { ...defaultDriftSettings, ...settings });
  await writeFindings(deps, clickhouse, findings);
  await withdrawFindings(deps, clickhouse, withdrawals);
  return findings;
}
