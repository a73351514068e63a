// Billing anomaly rules as pure functions of a CDR and the context the detector looked up.
// Each finding names its type, severity, subject (CDR key, or party and day for drift) and the
// evidence a reviewer needs. Where two rules describe one fault, the more specific one wins
// (a zero total is not also "a price mismatch"; zero charging time is not also "impossible energy").
import { Decimal } from 'decimal.js';
import { parseDateTime } from '../../ocpi/tariffs/localTime.ts';
import { priceCdr } from '../../ocpi/tariffs/price.ts';
import type { CdrInput, Tariff } from '../../ocpi/tariffs/types.ts';
import type { CdrRow } from '../ingest/transform.ts';
import { ciKey, sameCi } from '../../ocpi/ciString.ts';

export const anomalyTypes = [
  'price_mismatch',
  'duplicate_session',
  'overlapping_sessions',
  'impossible_energy',
  'non_positive_total',
  'energy_without_time',
  'price_per_kwh_outlier',
  'late_cdr',
  'party_volume_drift',
] as const;
export type AnomalyType = (typeof anomalyTypes)[number];
export type Severity = 'low' | 'medium' | 'high';

export interface Finding {
  /** Unique per anomaly: type and subject. Re-detection yields the same key. */
  key: string;
  type: AnomalyType;
  severity: Severity;
  country_code: string;
  party_id: string;
  /** Null for party-level findings (drift). */
  cdr_id: string | null;
  currency: string;
  /** Money the finding puts in question, in `currency` (0 when not about money). */
  amount_at_risk: number;
  evidence: Record<string, unknown>;
  /** Unix seconds when the hub accepted the CDR (the day's last CDR for drift). */
  accepted_at: number;
}

export interface RuleSettings {
  /** A CDR arriving more than this many days after its session ended is late (default 90). */
  lateCdrDays: number;
  /** |billed − recomputed| above this (in currency units, excl. VAT) is a price mismatch. */
  priceTolerance: number;
  /** Energy may exceed connector power × duration by this factor (meter and clock tolerance). */
  energyTolerance: number;
  /** Robust z above which a value is an outlier (modified z, MAD scaled by 1.4826). */
  robustZ: number;
  /** Deviation from the median below which nothing is an outlier, as a share of the median (handles MAD = 0). */
  minRelativeDeviation: number;
  /** Price per kWh is judged only for CDRs with at least this many kWh (fixed fees dominate small sessions). */
  ppkMinKwh: number;
  /** A statistic needs at least this many CDRs to judge by. */
  minSamples: number;
}

export const defaultRuleSettings: RuleSettings = {
  lateCdrDays: 90,
  priceTolerance: 0.01,
  energyTolerance: 1.05,
  robustZ: 3.5,
  minRelativeDeviation: 0.5,
  ppkMinKwh: 5,
  minSamples: 10,
};

export const cdrFindingKey = (type: AnomalyType, c: { country_code: string; party_id: string; id: string }) => `${type}:${c.country_code}*${c.party_id}*${c.id}`;

function cdrFinding(type: AnomalyType, severity: Severity, row: CdrRow, amountAtRisk: number, evidence: Record<string, unknown>): Finding {
  return {
    key: cdrFindingKey(type, row),
    type,
    severity,
    country_code: row.country_code,
    party_id: row.party_id,
    cdr_id: row.id,
    currency: row.currency,
    amount_at_risk: Math.round(amountAtRisk * 10000) / 10000,
    evidence,
    accepted_at: row.accepted_at,
  };
}

// ---------------------------------------------------------------- price recomputation

/**
 * Which tariff a total was recomputed with: one the hub holds (pushed by the CPO), or only the one
 * the CDR carries (the hub holds none, or only a version newer than the session). A total
 * matching the CDR's own tariff says the CDR is consistent, not that its prices are the usual
 * ones: such a CDR is still judged by price-per-kWh statistics.
 */
export type TariffSource = 'hub' | 'cdr';

/** A tariff as the hub holds it: the latest version pushed, and when that version was last updated. */
export interface HubTariff {
  tariff: Tariff;
  /** Unix seconds: the held version's last_updated. */
  lastUpdated: number;
}

export type PriceCheck =
  | { kind: 'unpriceable'; reason: string }
  | { kind: 'matches'; expected: string; tariffId: string; source: TariffSource }
  | { kind: 'mismatch'; expected: string; billed: string; difference: string; tariffId: string; source: TariffSource };

/**
 * Recomputes the CDR's total (excl. VAT) from its tariff(s) with the hub's tariff calculator.
 * A CDR carries its tariffs as they were when its session started (OCPI), the hub only the latest
 * version of each; a version updated after the session started was not the one billed, so it
 * yields to the CDR's own copy of that tariff, and without one the CDR cannot be priced (the hub
 * keeps no older versions to price it with).
 */
export function checkPrice(cdr: CdrInput, held: HubTariff | null, timeZone: string | null, tariffId: string, settings: RuleSettings = defaultRuleSettings): PriceCheck {
  // NaN when the start is not a DateTime: the hub's tariff is kept, and pricing says what is wrong.
  const sessionStartMs = typeof cdr.start_date_time === 'string' ? parseDateTime(cdr.start_date_time) : NaN;
  const superseded = held !== null && held.lastUpdated * 1000 > sessionStartMs;
  const source: TariffSource = held && !superseded ? 'hub' : 'cdr';
  const embedded = cdr.tariffs ?? [];
  // Tariff ids are CiStrings: the CDR's copy of `TAR1` may spell it `tar1`.
  const candidates = !held ? embedded : superseded ? embedded.filter((t) => sameCi(t.id, held.tariff.id)) : [held.tariff];
  if (superseded && candidates.length === 0) return { kind: 'unpriceable', reason: `tariff ${held.tariff.id} was updated after the session started and the CDR does not carry the version in force` };
  if (candidates.length === 0) return { kind: 'unpriceable', reason: 'tariff unknown to the hub and not in the CDR' };
  const billedRaw = cdr.total_cost?.excl_vat;
  if (billedRaw === undefined || billedRaw === null) return { kind: 'unpriceable', reason: 'CDR has no total_cost' };
  let expected: string;
  let usedTariff: string;
  let localTimeInUtc: boolean;
  let notEvaluable: boolean;
  try {
    const known = tariffId && candidates.some((t) => sameCi(t.id, tariffId)) ? tariffId : null;
    const result = priceCdr({ cdr, tariffs: candidates, timeZone, tariffId: known });
    expected = result.total_cost.excl_vat;
    usedTariff = result.tariff.id;
    localTimeInUtc = result.warnings.some((w) => w.code === 'utc_fallback_with_local_restrictions');
    notEvaluable = result.warnings.some((w) => w.code === 'restriction_not_evaluable');
  } catch (err) {
    return { kind: 'unpriceable', reason: `pricing failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const billed = new Decimal(String(billedRaw));
  const difference = billed.minus(expected);
  if (difference.abs().greaterThan(settings.priceTolerance)) {
    // The calculator prices a whole session with one tariff: a session whose periods name several
    // (OCPI lets the tariff change mid-session) differs from that price without being wrong.
    const periodTariffs = tariffIdsOfPeriods(cdr);
    if (periodTariffs.length > 1) return { kind: 'unpriceable', reason: `charging periods are priced with several tariffs (${periodTariffs.join(', ')}), the recomputation prices a session with one` };
    // OCPI times are UTC; a tariff's time-of-day and day restrictions are local. Without the
    // location's time zone (its Location never reached analytics) they were read in UTC.
    if (localTimeInUtc) return { kind: 'unpriceable', reason: `tariff ${usedTariff} has local-time restrictions and the hub holds no time zone for the location` };
    // A power or current restriction needs the periods' power or current, which OCPI leaves
    // optional: the calculator skips such an element, and the CPO, knowing the power, did not.
    if (notEvaluable) return { kind: 'unpriceable', reason: `tariff ${usedTariff} has power or current restrictions that cannot be evaluated: the charging periods carry no power or current` };
    return { kind: 'mismatch', expected: new Decimal(expected).toFixed(4), billed: billed.toFixed(4), difference: difference.toFixed(4), tariffId: usedTariff, source };
  }
  return { kind: 'matches', expected, tariffId: usedTariff, source };
}

/** The distinct tariff_ids the CDR's charging periods name (in any case: one tariff), in the order they first appear. */
function tariffIdsOfPeriods(cdr: CdrInput): string[] {
  const ids: string[] = [];
  for (const p of Array.isArray(cdr.charging_periods) ? cdr.charging_periods : []) {
    const id = p && typeof p === 'object' ? (p as { tariff_id?: unknown }).tariff_id : undefined;
    if (typeof id === 'string' && id !== '' && !ids.some((seen) => sameCi(seen, id))) ids.push(id);
  }
  return ids;
}

// ---------------------------------------------------------------- physics

/** Power a connector can deliver when the hub knows no better (W): the largest usual for its power type. */
export const fallbackPowerW: Record<string, number> = {
  AC_1_PHASE: 7_400,
  AC_2_PHASE: 14_800,
  AC_2_PHASE_SPLIT: 14_800,
  AC_3_PHASE: 44_000,
  DC: 400_000,
};

/** Phases a power type draws on: AC max_voltage is line to neutral (OCPI), so power is phases × V × A. */
const phases: Record<string, number> = { AC_1_PHASE: 1, AC_2_PHASE: 2, AC_2_PHASE_SPLIT: 2, AC_3_PHASE: 3, DC: 1 };

/** A connector's power fields as the hub holds them (0 or '': unknown). */
export interface ConnectorPower {
  power_type: string;
  max_voltage: number;
  max_amperage: number;
  max_electric_power: number;
}

/**
 * The power (W) a connector can deliver: its max_electric_power when known, else phases × voltage
 * × amperage when both and the power type are known, else null (the rule falls back to the CDR's
 * power type).
 */
export function connectorPowerW(c: ConnectorPower): number | null {
  if (c.max_electric_power > 0) return c.max_electric_power;
  const n = phases[c.power_type];
  if (n && c.max_voltage > 0 && c.max_amperage > 0) return n * c.max_voltage * c.max_amperage;
  return null;
}

export interface CdrContext {
  /** The connector's power in W from its Location (connectorPowerW), when the hub has it. */
  connectorPowerW: number | null;
  price: PriceCheck;
}

/**
 * The per-CDR rules. Credit CDRs are not judged: their negative totals are their point, and a
 * credit issued months after the session is an ordinary correction, not a late CDR (nor could a
 * reviewer dispute it: disputes are for plain CDRs).
 */
export function singleCdrFindings(row: CdrRow, context: CdrContext, settings: RuleSettings = defaultRuleSettings): Finding[] {
  if (row.credit === 1) return [];
  const findings: Finding[] = [];
  const lateSeconds = row.accepted_at - row.end_ts;
  if (lateSeconds > settings.lateCdrDays * 86_400) {
    findings.push(
      cdrFinding('late_cdr', 'low', row, row.total_cost_excl, {
        session_ended: new Date(row.end_ts * 1000).toISOString(),
        accepted: new Date(row.accepted_at * 1000).toISOString(),
        days_after_session: Math.floor(lateSeconds / 86_400),
        limit_days: settings.lateCdrDays,
      }),
    );
  }

  const nonPositive = row.total_cost_excl <= 0 && !(context.price.kind === 'matches' && Number(context.price.expected) <= 0);
  if (nonPositive) {
    findings.push(
      cdrFinding('non_positive_total', 'high', row, Math.abs(row.total_cost_excl), {
        total_cost_excl_vat: row.total_cost_excl,
        credit: false,
        expected_excl_vat: context.price.kind === 'unpriceable' ? null : context.price.expected,
        total_energy_kwh: row.total_energy,
      }),
    );
  } else if (context.price.kind === 'mismatch') {
    const { expected, billed, difference, tariffId } = context.price;
    const relative = Number(expected) === 0 ? Infinity : Math.abs(Number(difference) / Number(expected));
    findings.push(
      cdrFinding('price_mismatch', relative > 0.1 ? 'high' : 'medium', row, Number(difference), {
        billed_excl_vat: billed,
        recomputed_excl_vat: expected,
        difference,
        tariff_id: tariffId,
      }),
    );
  }

  const chargingHours = row.total_time - row.total_parking_time;
  const durationHours = (row.end_ts - row.start_ts) / 3600;
  if (row.total_energy > 0.05 && (chargingHours <= 0 || durationHours <= 0)) {
    findings.push(
      cdrFinding('energy_without_time', 'medium', row, row.total_energy_cost_excl, {
        total_energy_kwh: row.total_energy,
        total_time_h: row.total_time,
        total_parking_time_h: row.total_parking_time,
        session_seconds: row.end_ts - row.start_ts,
      }),
    );
  } else {
    const powerW = context.connectorPowerW && context.connectorPowerW > 0 ? context.connectorPowerW : (fallbackPowerW[row.connector_power_type] ?? fallbackPowerW.DC);
    const feasible = (powerW / 1000) * durationHours * settings.energyTolerance + 0.1;
    if (row.total_energy > feasible) {
      findings.push(
        cdrFinding('impossible_energy', 'high', row, row.total_energy_cost_excl * (1 - feasible / row.total_energy), {
          total_energy_kwh: row.total_energy,
          max_feasible_kwh: Math.round(feasible * 1000) / 1000,
          connector_power_w: powerW,
          power_source: context.connectorPowerW ? 'location' : 'power_type_default',
          session_hours: Math.round(durationHours * 10000) / 10000,
        }),
      );
    }
  }
  return findings;
}

// ---------------------------------------------------------------- robust statistics

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const mad = (values: readonly number[], center = median(values)): number => median(values.map((v) => Math.abs(v - center)));

export interface RobustStat {
  median: number;
  mad: number;
  n: number;
}

export interface OutlierVerdict {
  outlier: boolean;
  /** The deviation allowed: the larger of robustZ·1.4826·MAD and minRelativeDeviation·|median| (MAD = 0 safe). */
  allowed: number;
  deviation: number;
  /** Modified z with the MAD floored, for the evidence. */
  z: number;
}

export function judge(x: number, stat: RobustStat, settings: Pick<RuleSettings, 'robustZ' | 'minRelativeDeviation'>, relativeFloor = settings.minRelativeDeviation): OutlierVerdict {
  const scale = 1.4826 * stat.mad;
  const allowed = Math.max(settings.robustZ * scale, relativeFloor * Math.abs(stat.median), 1e-9);
  const deviation = x - stat.median;
  return { outlier: Math.abs(deviation) > allowed, allowed, deviation, z: (deviation / allowed) * settings.robustZ };
}

export interface PpkStats {
  location: RobustStat | null;
  tariff: RobustStat | null;
}

/** Why a CDR's price per kWh is judged by statistics, or null when recomputation settled it. */
export function statisticsNeeded(price: PriceCheck): string | null {
  if (price.kind === 'unpriceable') return price.reason;
  if (price.kind === 'matches' && price.source === 'cdr') return 'total matches only the tariff the CDR carries, which the hub does not hold';
  return null;
}

/**
 * Price per kWh far from the location's and the tariff's usual. Judged when the hub could not
 * recompute the price with a tariff it holds — unpriceable, or consistent only with the tariff
 * the CDR itself carries (a CPO billing three times its usual price with a matching embedded
 * tariff) — against every statistic with enough samples: all of them must call it an outlier.
 * A price recomputed with the hub's own tariff is exact and not judged again.
 */
export function ppkFinding(row: CdrRow, price: PriceCheck, stats: PpkStats, settings: RuleSettings = defaultRuleSettings): Finding | null {
  const why = statisticsNeeded(price);
  if (row.credit === 1 || why === null || row.total_energy < settings.ppkMinKwh || row.total_cost_excl <= 0) return null;
  const ppk = row.total_cost_excl / row.total_energy;
  const judged = (['location', 'tariff'] as const)
    .map((scope) => ({ scope, stat: stats[scope] }))
    .filter((s): s is { scope: 'location' | 'tariff'; stat: RobustStat } => s.stat !== null && s.stat.n >= settings.minSamples);
  if (judged.length === 0) return null;
  const verdicts = judged.map((j) => ({ ...j, verdict: judge(ppk, j.stat, settings) }));
  if (!verdicts.every((v) => v.verdict.outlier)) return null;
  const reference = verdicts[0].stat.median;
  const evidence: Record<string, unknown> = { price_per_kwh: round(ppk, 4), total_energy_kwh: row.total_energy, tariff_id: row.tariff_id || null, why_judged_by_statistics: why };
  for (const v of verdicts) {
    evidence[v.scope] = { median: round(v.stat.median, 4), mad: round(v.stat.mad, 4), n: v.stat.n, allowed_deviation: round(v.verdict.allowed, 4), modified_z: round(v.verdict.z, 2) };
  }
  return cdrFinding('price_per_kwh_outlier', 'medium', row, (ppk - reference) * row.total_energy, evidence);
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------- sets of CDRs

/** What set-based rules need of a stored CDR. `stream_seq` orders arrival: the later one is flagged. */
export type CdrLite = Pick<
  CdrRow,
  'country_code' | 'party_id' | 'id' | 'session_key' | 'token_country_code' | 'token_party_id' | 'token_uid' | 'token_type' | 'start_ts' | 'end_ts' | 'credit' | 'credit_reference_id' | 'stream_seq' | 'location_id' | 'evse_uid' | 'total_cost_excl' | 'currency' | 'accepted_at'
>;

/**
 * A CDR's identity: its id is a CiString, so a credit CDR may name its original (credit_reference_id)
 * in another case, and a copy may spell the id otherwise (ciKey).
 */
export const cdrIdentity = (countryCode: string, partyId: string, id: string) => `${countryCode}*${partyId}*${ciKey(id)}`;
const keyOf = (c: CdrLite) => cdrIdentity(c.country_code, c.party_id, c.id);
/** The identity of the CDR a credit CDR credits. */
export const creditedIdentity = (c: Pick<CdrLite, 'country_code' | 'party_id' | 'credit_reference_id'>) => cdrIdentity(c.country_code, c.party_id, c.credit_reference_id);
/** A token's key: its uid is a CiString, so the card `abc123` is the card `ABC123`. */
export const tokenKeyOf = (c: Pick<CdrLite, 'token_country_code' | 'token_party_id' | 'token_uid'>) => `${c.token_country_code}*${c.token_party_id}*${ciKey(c.token_uid)}`;
const iso = (s: number) => new Date(s * 1000).toISOString();

function liveOthers(subject: CdrLite, candidates: readonly CdrLite[]): CdrLite[] {
  const credited = new Set(candidates.filter((c) => c.credit === 1).map(creditedIdentity));
  return candidates.filter((c) => c.credit === 0 && keyOf(c) !== keyOf(subject) && !credited.has(keyOf(c)) && c.stream_seq < subject.stream_seq);
}

/** The same charging session billed again under another CDR id (and the earlier one not credited). */
export function duplicateSessionFinding(subject: CdrLite, sameSession: readonly CdrLite[]): Finding | null {
  if (subject.credit === 1) return null;
  if (new Set(sameSession.filter((c) => c.credit === 1).map(creditedIdentity)).has(keyOf(subject))) return null;
  const earlier = liveOthers(subject, sameSession.filter((c) => c.session_key === subject.session_key));
  if (earlier.length === 0) return null;
  return cdrFinding('duplicate_session', 'high', subject as CdrRow, subject.total_cost_excl, {
    session_key: subject.session_key,
    earlier_cdr_ids: earlier.map((c) => c.id),
    start: iso(subject.start_ts),
    end: iso(subject.end_ts),
  });
}

/**
 * A token is its country_code, party_id, uid and type (OCPI): an eMSP's RFID card and APP_USER
 * token may share a uid and charge at once. A CDR stored before the look-up tables kept the type
 * (migrations/clickhouse/0014_token_type.sql) has it empty, and is taken for either.
 */
const sameTokenType = (a: CdrLite, b: CdrLite) => a.token_type === b.token_type || a.token_type === '' || b.token_type === '';

/** Another session of the same token (different session) overlapping in time by more than `slackSeconds`. */
export function overlapFinding(subject: CdrLite, sameToken: readonly CdrLite[], slackSeconds = 60): Finding | null {
  if (subject.credit === 1 || !subject.token_uid) return null;
  const token = tokenKeyOf(subject);
  const overlapping = liveOthers(
    subject,
    sameToken.filter((c) => tokenKeyOf(c) === token && sameTokenType(c, subject) && c.session_key !== subject.session_key),
  ).filter((c) => Math.min(c.end_ts, subject.end_ts) - Math.max(c.start_ts, subject.start_ts) > slackSeconds);
  if (overlapping.length === 0) return null;
  return cdrFinding('overlapping_sessions', 'medium', subject as CdrRow, subject.total_cost_excl, {
    token: token,
    token_type: subject.token_type || null,
    this_session: { start: iso(subject.start_ts), end: iso(subject.end_ts), location_id: subject.location_id, evse_uid: subject.evse_uid },
    overlapping: overlapping.map((c) => ({ cdr_id: `${c.country_code}*${c.party_id}*${c.id}`, start: iso(c.start_ts), end: iso(c.end_ts), location_id: c.location_id, evse_uid: c.evse_uid })),
  });
}

/** A set-based finding a credit CDR takes back, and why, in words a reviewer reads. */
export interface TakenBack {
  key: string;
  reason: string;
  /** The credit CDR that took it back. */
  credit_cdr_id: string;
}

/**
 * Set-based findings that credit CDRs take back. A CDR billed again for a session, or overlapping
 * another session of its token, was flagged because the earlier CDR stood; a credit that arrives
 * afterwards for that earlier CDR (a re-issue sent before its credit) leaves the session billed
 * once. Each CDR sharing the credit's session is asked the duplicate rule again, and each sharing
 * its token the overlap rule, against `near`, which holds every stored CDR of the credit's
 * session and token (the detector looked both up); a finding the rule no longer makes is taken
 * back when the rule made it without the credit and makes it no more. CDRs reached only through
 * the other look-up are not asked: their group may be partial.
 */
export function takenBackByCredits(credits: readonly CdrLite[], near: readonly CdrLite[]): TakenBack[] {
  const out = new Map<string, TakenBack>();
  for (const credit of credits) {
    if (credit.credit !== 1 || !credit.credit_reference_id) continue;
    const original = creditedIdentity(credit);
    const reason = `${credit.country_code}*${credit.party_id}*${credit.credit_reference_id} was credited by credit CDR ${credit.id}: the session is billed once`;
    const before = near.filter((c) => keyOf(c) !== keyOf(credit));
    // What the rule says of x with this credit, and what it said without it.
    const changed = (rule: (x: CdrLite, group: readonly CdrLite[]) => Finding | null, x: CdrLite, inGroup: (c: CdrLite) => boolean) =>
      rule(x, before.filter(inGroup)) !== null && rule(x, near.filter(inGroup)) === null;
    for (const x of near) {
      if (x.credit === 1 || keyOf(x) === original) continue;
      if (x.session_key === credit.session_key && changed(duplicateSessionFinding, x, (c) => c.session_key === x.session_key)) {
        const key = cdrFindingKey('duplicate_session', x);
        out.set(key, { key, reason, credit_cdr_id: credit.id });
      }
      if (credit.token_uid && tokenKeyOf(x) === tokenKeyOf(credit) && changed(overlapFinding, x, (c) => tokenKeyOf(c) === tokenKeyOf(x))) {
        const key = cdrFindingKey('overlapping_sessions', x);
        out.set(key, { key, reason, credit_cdr_id: credit.id });
      }
    }
  }
  return [...out.values()];
}

// ---------------------------------------------------------------- party drift

export interface DailyVolume {
  /** YYYY-MM-DD (UTC, the day sessions ended). */
  day: string;
  /** Charging sessions billed: a credited original and its re-issue are one, a credit CDR none (queries.ts dailyVolumes). */
  cdrs: number;
  revenue: number;
  /** Unix seconds of the latest acceptance among the day's CDRs. */
  lastAcceptedAt: number;
}

export interface DriftSettings {
  historyDays: number;
  /** Days of the history window that must carry CDRs for the day to be judged. */
  minActiveDays: number;
  /** Robust z for a rise; a rise must also exceed `up`·median. */
  robustZUp: number;
  /** Robust z for a fall; a fall must also exceed `down`·median. Lower than for rises: daily counts are small, and a fall to zero is what an outage looks like. */
  robustZDown: number;
  up: number;
  down: number;
  /**
   * Daily CDR counts are Poisson-like: a day deviating by less than this many √median CDRs is
   * noise, whatever the MAD says (revenue alike, scaled to its median). It matters only for small
   * parties: at a median of 10 CDRs a day a fall must exceed 95% (an outage), at 50 the `down` share rules.
   */
  noiseSigmas: number;
  /**
   * Hours after a UTC day ends before it is judged (ANOMALY_DRIFT_GRACE_H). CPOs that upload a
   * day's CDRs in a nightly batch send them after midnight: judged at midnight, every one of their
   * days would be an outage.
   */
  graceHours: number;
}

export const defaultDriftSettings: DriftSettings = { historyDays: 28, minActiveDays: 20, robustZUp: 5, robustZDown: 2.5, up: 1.0, down: 0.75, noiseSigmas: 3, graceHours: 24 };

const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a YYYY-MM-DD (UTC) day. */
export const dayNumber = (day: string) => Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
export const dayString = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** The first day (days since 1970-01-01) not judged at `nowMs`: day D is judged once `graceHours` have passed since it ended. */
export const firstUnjudgedDay = (nowMs: number, graceHours: number) => Math.floor((nowMs - graceHours * 3_600_000) / DAY_MS);

export interface DriftWindow {
  /** The first day (YYYY-MM-DD) not judged (see firstUnjudgedDay). Every day before it may be judged. */
  before: string;
  /** Judge only these days (YYYY-MM-DD); default every closed day with enough history. */
  days?: ReadonlySet<string>;
}

type DriftParty = { country_code: string; party_id: string; currency: string };

/** The key of a party's drift finding for a day (YYYY-MM-DD): one finding per party, currency and day. */
export const driftFindingKey = (party: DriftParty, day: string) => `party_volume_drift:${party.country_code}*${party.party_id}:${party.currency}:${day}`;

/** A day's volumes against its history: a finding, or why there is none. */
export interface DriftDayVerdict {
  day: string;
  finding: Finding | null;
  /** Days of the history window with CDRs (fewer than minActiveDays: the day is not judged). */
  activeHistoryDays: number;
  metrics: { metric: 'cdrs' | 'revenue'; value: number; median: number; allowedDeviation: number; outlier: boolean }[];
}

/**
 * Judges one day (days since 1970-01-01) of a party against its trailing history; `at` gives a
 * day's volumes (zero for a day without CDRs). The rule of driftFindings, for one day.
 */
export function driftDayVerdict(party: DriftParty, at: (day: number) => DailyVolume, d: number, settings: DriftSettings = defaultDriftSettings): DriftDayVerdict {
  const history: DailyVolume[] = [];
  for (let h = d - settings.historyDays; h < d; h++) history.push(at(h));
  const active = history.filter((h) => h.cdrs > 0);
  if (active.length < settings.minActiveDays) return { day: dayString(d), finding: null, activeHistoryDays: active.length, metrics: [] };
  const today = at(d);
  const noise = settings.noiseSigmas / Math.sqrt(Math.max(1, median(active.map((h) => h.cdrs))));
  const metrics = (['cdrs', 'revenue'] as const).map((metric) => {
    const values = active.map((h) => h[metric]);
    const stat: RobustStat = { median: median(values), mad: mad(values), n: values.length };
    const x = today[metric];
    const rising = x >= stat.median;
    return { metric, x, stat, verdict: judge(x, stat, { robustZ: rising ? settings.robustZUp : settings.robustZDown, minRelativeDeviation: Math.max(rising ? settings.up : settings.down, noise) }) };
  });
  const summary = metrics.map((m) => ({ metric: m.metric, value: round(m.x, 4), median: round(m.stat.median, 4), allowedDeviation: round(m.verdict.allowed, 4), outlier: m.verdict.outlier }));
  const drifting = metrics.filter((m) => m.verdict.outlier);
  if (drifting.length === 0) return { day: dayString(d), finding: null, activeHistoryDays: active.length, metrics: summary };
  const revenue = metrics[1];
  const finding: Finding = {
    key: driftFindingKey(party, dayString(d)),
    type: 'party_volume_drift',
    severity: drifting.some((m) => Math.abs(m.verdict.deviation) > 2 * Math.abs(m.stat.median)) ? 'high' : 'medium',
    country_code: party.country_code,
    party_id: party.party_id,
    cdr_id: null,
    currency: party.currency,
    amount_at_risk: round(revenue.x - revenue.stat.median, 4),
    evidence: {
      day: dayString(d),
      drifting: drifting.map((m) => m.metric),
      ...Object.fromEntries(metrics.map((m) => [m.metric, { value: round(m.x, 4), median: round(m.stat.median, 4), mad: round(m.stat.mad, 4), allowed_deviation: round(m.verdict.allowed, 4) }])),
      history_days: settings.historyDays,
      active_history_days: active.length,
    },
    // The latest CDR that the judgement rests on; for a silent day, the moment the day closed.
    accepted_at: Math.max(today.lastAcceptedAt, at(d + 1).lastAcceptedAt) || ((d + 1) * DAY_MS) / 1000,
  };
  return { day: dayString(d), finding, activeHistoryDays: active.length, metrics: summary };
}

/** Why a drift finding judged again no longer stands, in words a reviewer reads (a verdict without a finding). */
export function withdrawalReason(verdict: DriftDayVerdict, settings: DriftSettings = defaultDriftSettings): string {
  if (verdict.metrics.length === 0) return `judged again with the CDRs stored since: the history of ${verdict.day} holds ${verdict.activeHistoryDays} days with CDRs, fewer than the ${settings.minActiveDays} needed to judge it`;
  const parts = verdict.metrics.map((m) => `${m.metric === 'cdrs' ? 'CDRs' : 'revenue'} ${m.value} (usual ${m.median}, allowed deviation ${m.allowedDeviation})`);
  return `judged again with the CDRs stored since: ${verdict.day} now has ${parts.join(' and ')}, within the party's usual range`;
}

/**
 * A party's daily CDR count or revenue (one currency) far from its own trailing history. Every
 * day before `window.before` is judged once the party has history, whether or not the party sent
 * CDRs since: a party that goes silent is judged on its silent days, which count as zero, until
 * its history holds too few active days. Days without CDRs count as zero from the party's first day.
 */
export function driftFindings(party: DriftParty, series: readonly DailyVolume[], window: DriftWindow, settings: DriftSettings = defaultDriftSettings): Finding[] {
  if (series.length === 0) return [];
  const byDay = new Map(series.map((d) => [dayNumber(d.day), d]));
  const first = Math.min(...byDay.keys());
  const last = dayNumber(window.before) - 1;
  const at = (n: number): DailyVolume => byDay.get(n) ?? { day: dayString(n), cdrs: 0, revenue: 0, lastAcceptedAt: 0 };
  const findings: Finding[] = [];
  for (let d = first + settings.historyDays; d <= last; d++) {
    if (window.days && !window.days.has(dayString(d))) continue;
    const { finding } = driftDayVerdict(party, at, d, settings);
    if (finding) findings.push(finding);
  }
  return findings;
}
