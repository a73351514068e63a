// Party drift, incrementally. A UTC day is judged only once a grace (DriftSettings.graceHours)
// has passed since it ended, so that CDRs uploaded in a nightly batch are in before it is. The
// first pass reads every party's daily volumes over the window (once per process); after that a
// pass re-reads only the days that received CDRs since the last pass (told by the detector as it
// judges batches) and, when another day's grace has passed, the days a new judgement rests on. It
// judges only the days whose verdict can have changed: each touched day and the days whose
// history holds it (up to the last day judged), and every day whose grace passed since the last
// pass, for every party — so a party that goes silent is judged on its silent days.
//
// A standing finding on a day judged again that the new verdict does not support — an outage that
// a late batch filled in — is withdrawn (./sink.ts withdrawFindings), with the new verdict as the
// reason. Which findings stand is read from ClickHouse by key for the days just judged (by party
// for a whole-window pass), so a pass costs what it judges, never a scan of all findings.
//
// Several detector processes each keep their own volumes: a process re-reads the days it was told
// about, and the last history window whenever another day comes up for judgement, so another
// process's late CDRs reach it then at the latest.
import type { ClickHouseClient } from '@clickhouse/client';
import { dailyVolumes, storedDriftFindings, type PartySeries } from './queries.ts';
import { dayNumber, dayString, defaultDriftSettings, driftDayVerdict, driftFindingKey, driftFindings, firstUnjudgedDay, withdrawalReason, type DailyVolume, type DriftSettings, type Finding } from './rules.ts';
import type { Withdrawal } from './sink.ts';

/** How far back the first pass reads (days). */
export const DRIFT_WINDOW_DAYS = 400;

interface PartyVolumes {
  party: PartySeries['party'];
  byDay: Map<number, DailyVolume>;
}

export interface DriftPass {
  findings: Finding[];
  /** Standing findings on the days judged that the new verdicts do not support. */
  withdrawals: Withdrawal[];
  /** Days re-read from ClickHouse (all of the window on the first pass). */
  daysRead: number;
  full: boolean;
}

export interface DriftTracker {
  /** Records the (party, currency, UTC day the session ended) of CDRs just judged, and of the originals their credit CDRs name. */
  touch(rows: readonly { country_code: string; party_id: string; currency: string; end_ts: number }[]): void;
  /** Whether a pass has anything to do at `nowMs` (CDRs touched, another day up for judgement, or no pass yet). */
  due(nowMs: number): boolean;
  /**
   * One pass at `nowMs`; `record` is awaited before the pass counts as done, so a pass whose
   * findings or withdrawals could not be recorded is done again next time.
   */
  run(nowMs: number, record: (findings: Finding[], withdrawals: Withdrawal[]) => Promise<unknown>): Promise<DriftPass>;
}

/** The days a pass judged for one party: every day in [from, to], or those of them in `days`. */
interface JudgedDays {
  party: PartySeries['party'];
  at: (day: number) => DailyVolume;
  from: number;
  to: number;
  days?: ReadonlySet<number>;
}

/** Above this many judged party-days, standing findings are looked up by party rather than by key. */
const KEY_LOOKUP_LIMIT = 5000;

const volumeAt = (byDay: ReadonlyMap<number, DailyVolume>) => (n: number): DailyVolume => byDay.get(n) ?? { day: dayString(n), cdrs: 0, revenue: 0, lastAcceptedAt: 0 };

/**
 * Standing drift findings on days a pass judged that its findings do not include, each with the
 * day's new verdict as the reason to withdraw it.
 */
async function unsupportedFindings(clickhouse: ClickHouseClient, judged: readonly JudgedDays[], findings: readonly Finding[], settings: DriftSettings): Promise<Withdrawal[]> {
  const byParty = new Map(judged.filter((j) => j.from <= j.to).map((j) => [partyKey(j.party), j]));
  if (byParty.size === 0) return [];
  // By key when every party had a few days judged; by party when one had its whole window judged.
  let keys: string[] | null = [];
  for (const j of byParty.values()) {
    if (!j.days) keys = null;
    else for (const d of j.days) if (keys && d >= j.from && d <= j.to) keys.push(driftFindingKey(j.party, dayString(d)));
    if (!keys || keys.length > KEY_LOOKUP_LIMIT) {
      keys = null;
      break;
    }
  }
  const parties = () => [...byParty.values()].map((j) => [j.party.country_code, j.party.party_id, j.party.currency] as [string, string, string]);
  const stored = await storedDriftFindings(clickhouse, keys ? { keys } : { parties: parties() });
  const found = new Set(findings.map((f) => f.key));
  const withdrawals: Withdrawal[] = [];
  for (const s of stored) {
    if (s.withdrawn_at > 0 || found.has(s.finding_key)) continue;
    const j = byParty.get(partyKey(s));
    const d = dayNumber(s.finding_key.slice(-10));
    if (!j || !(d >= j.from && d <= j.to) || (j.days && !j.days.has(d))) continue;
    const verdict = driftDayVerdict(j.party, j.at, d, settings);
    if (verdict.finding) continue;
    withdrawals.push({ finding: s, reason: withdrawalReason(verdict, settings), rejudged: { day: verdict.day, active_history_days: verdict.activeHistoryDays, metrics: verdict.metrics } });
  }
  return withdrawals;
}

const partyKey = (p: { country_code: string; party_id: string; currency: string }) => `${p.country_code}*${p.party_id}*${p.currency}`;

export function driftTracker(clickhouse: ClickHouseClient, settings: DriftSettings = defaultDriftSettings): DriftTracker {
  const volumes = new Map<string, PartyVolumes>();
  let touched = new Map<string, { party: PartySeries['party']; days: Set<number> }>();
  /** The last day judged (day number) as of the last completed pass; null before the first. */
  let closedThrough: number | null = null;
  const lastJudged = (nowMs: number) => firstUnjudgedDay(nowMs, settings.graceHours) - 1;

  const store = (found: Map<string, PartySeries>, days: Iterable<number>) => {
    // The days read replace what was kept for them, for every party (zero where a party has none).
    for (const d of days) for (const v of volumes.values()) v.byDay.delete(d);
    for (const [key, { party, series }] of found) {
      let v = volumes.get(key);
      if (!v) volumes.set(key, (v = { party, byDay: new Map() }));
      for (const day of series) v.byDay.set(dayNumber(day.day), day);
    }
  };

  return {
    touch(rows) {
      for (const r of rows) {
        const key = partyKey(r);
        let t = touched.get(key);
        if (!t) touched.set(key, (t = { party: { country_code: r.country_code, party_id: r.party_id, currency: r.currency }, days: new Set() }));
        t.days.add(Math.floor(r.end_ts / 86_400));
      }
    },

    due(nowMs) {
      return closedThrough === null || touched.size > 0 || lastJudged(nowMs) > closedThrough;
    },

    async run(nowMs, record) {
      // The first day not judged yet (today's date when the grace is 0) and the last one judged.
      const before = firstUnjudgedDay(nowMs, settings.graceHours);
      const last = before - 1;
      const pending = touched;
      touched = new Map();
      try {
        const window = { before: dayString(before) };
        if (closedThrough === null) {
          // First pass: the whole window, every day past its grace judged.
          volumes.clear();
          store(await dailyVolumes(clickhouse, { sinceDays: DRIFT_WINDOW_DAYS, until: dayString(before) }), []);
          const findings = [...volumes.values()].flatMap((v) => driftFindings(v.party, [...v.byDay.values()], window, settings));
          const judged = [...volumes.values()].map((v) => ({ party: v.party, at: volumeAt(v.byDay), from: Math.min(...v.byDay.keys()) + settings.historyDays, to: last }));
          const withdrawals = await unsupportedFindings(clickhouse, judged, findings, settings);
          await record(findings, withdrawals);
          closedThrough = last;
          return { findings, withdrawals, daysRead: DRIFT_WINDOW_DAYS + 1, full: true };
        }

        // Days to read again: the touched ones and, when another day came up for judgement, the
        // history window of the days judged since (other processes may have stored CDRs for them).
        // Touched days not up for judgement yet are read when they are.
        const read = new Set<number>();
        for (const t of pending.values()) for (const d of t.days) if (d <= before) read.add(d);
        if (last > closedThrough) {
          const from = Math.max(closedThrough + 1 - settings.historyDays, before - DRIFT_WINDOW_DAYS);
          for (let d = from; d <= last; d++) read.add(d);
        }
        store(await dailyVolumes(clickhouse, { days: [...read].sort((a, b) => a - b).map(dayString) }), read);

        // Days to judge, per party: each touched day and the days whose history holds it; every
        // day whose grace passed since the last pass.
        const judge = new Map<string, Set<string>>();
        const add = (key: string, from: number, to: number) => {
          let set = judge.get(key);
          if (!set) judge.set(key, (set = new Set()));
          for (let d = from; d <= Math.min(to, last); d++) set.add(dayString(d));
        };
        for (const [key, t] of pending) for (const d of t.days) add(key, d, d + settings.historyDays);
        if (last > closedThrough) for (const key of volumes.keys()) add(key, closedThrough + 1, last);
        const findings: Finding[] = [];
        const judged: JudgedDays[] = [];
        for (const [key, days] of judge) {
          const v = volumes.get(key);
          if (!v || days.size === 0 || v.byDay.size === 0) continue;
          findings.push(...driftFindings(v.party, [...v.byDay.values()], { ...window, days }, settings));
          judged.push({ party: v.party, at: volumeAt(v.byDay), from: Math.min(...v.byDay.keys()) + settings.historyDays, to: last, days: new Set([...days].map(dayNumber)) });
        }
        const withdrawals = await unsupportedFindings(clickhouse, judged, findings, settings);
        await record(findings, withdrawals);
        closedThrough = Math.max(closedThrough, last);
        return { findings, withdrawals, daysRead: read.size, full: false };
      } catch (err) {
        // Not done: what was touched is judged next time.
        for (const [key, t] of pending) {
          const now = touched.get(key);
          if (now) for (const d of t.days) now.days.add(d);
          else touched.set(key, t);
        }
        throw err;
      }
    },
  };
}

/** One full drift pass, stateless: every party-day of the window past its grace judged against its history. */
export async function judgeAllDrift(clickhouse: ClickHouseClient, nowMs: number, settings: DriftSettings = defaultDriftSettings): Promise<Finding[]> {
  return (await fullDriftPass(clickhouse, nowMs, settings)).findings;
}

/** judgeAllDrift, and the standing findings of the window its verdicts no longer support. */
export async function fullDriftPass(clickhouse: ClickHouseClient, nowMs: number, settings: DriftSettings = defaultDriftSettings): Promise<{ findings: Finding[]; withdrawals: Withdrawal[] }> {
  const before = firstUnjudgedDay(nowMs, settings.graceHours);
  const found = await dailyVolumes(clickhouse, { sinceDays: DRIFT_WINDOW_DAYS, until: dayString(before) });
  const findings = [...found.values()].flatMap(({ party, series }) => driftFindings(party, series, { before: dayString(before) }, settings));
  const judged = [...found.values()].map(({ party, series }) => {
    const byDay = new Map(series.map((d) => [dayNumber(d.day), d]));
    return { party, at: volumeAt(byDay), from: Math.min(...byDay.keys()) + settings.historyDays, to: before - 1 };
  });
  return { findings, withdrawals: await unsupportedFindings(clickhouse, judged, findings, settings) };
}
