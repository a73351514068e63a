// The statements that recompute the dashboard rollups (migrations/clickhouse/0006, 0009, 0010,
// 0016) for a set of days, from cdr_facts FINAL: one row per CDR however often it was delivered.
// Each statement rebuilds every group of those days with one version; the replacing tables keep
// the newest. Days are UTC days (cdr_facts.day is the UTC day the session ended).
//
// Charging hours are the time charging (OCPI total_time − total_parking_time), connected hours
// the whole total_time (0016). Sessions, energy, both times and prices count only the sessions
// that stand: a CDR that is no credit CDR and that no credit CDR credits (cdr_credits; ids are
// CiStrings, compared as upper(), which folds ASCII letters only, as ciKey does). Revenue
// counts every CDR, so a credit cancels its original's. Groups are formed from every CDR of the day (as before), never from the
// standing ones only: a group must not empty when a credit arrives, or its old row would remain.
import { quote } from '../../src/store/clickhouse.ts';

export const ROLLUP_JOB = 'cdr_rollups';

/** Days per statement, so a backfill of years does not make one huge IN list. */
export const DAYS_PER_STATEMENT = 100;

const dayList = (days: readonly string[]): string => {
  for (const d of days) if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`not a day: ${d}`);
  return days.map((d) => `toDate(${quote(d)})`).join(', ');
};

const versionOf = (version: number): string => {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`not a version: ${version}`);
  return `toUInt64(${version})`;
};

const unixSeconds = (since: number): string => `toDateTime(${Math.max(0, Math.floor(since))})`;

/**
 * The CDRs of the days, each with `stands`: 1 for a session that counts, 0 for a credit CDR or a
 * credited original. A CDR stored under two spellings of its id (a CiString; accepted twice before
 * the hub compared ids so, or imported again) is one CDR: the first accepted is kept.
 */
const factsOfDays = (inDays: string, where = ''): string =>
  `(SELECT *, credit = 0 AND (country_code, party_id, upper(id)) NOT IN (SELECT country_code, party_id, upper(credit_reference_id) FROM cdr_credits) AS stands
       FROM cdr_facts FINAL
       WHERE ${inDays}${where}
       ORDER BY accepted_at, id
       LIMIT 1 BY day, country_code, party_id, upper(id))`;

/** INSERT … SELECT per rollup table for `days` (YYYY-MM-DD, UTC), all written with `version`. */
export function recomputeStatements(days: readonly string[], version: number): string[] {
  const inDays = `day IN (${dayList(days)})`;
  const v = versionOf(version);
  return [
    `INSERT INTO revenue_daily (day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit, cdrs, sessions, revenue_excl, revenue_incl, energy_kwh, session_cost, version)
     SELECT day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit,
       count(), countIf(stands), sum(revenue_excl), sum(revenue_incl), sumIf(energy_kwh, stands), quantilesState(0.5)(if(stands, toFloat64(revenue_excl), nan)), ${v}
     FROM ${factsOfDays(inDays)}
     GROUP BY day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit`,
    `INSERT INTO location_hourly (day, hour, country_code, party_id, location_id, sessions, energy_kwh, charging_hours, connected_hours, version)
     SELECT day, start_hour, country_code, party_id, location_id, countIf(stands), sumIf(energy_kwh, stands), sumIf(charging_hours, stands), sumIf(connected_hours, stands), ${v}
     FROM ${factsOfDays(inDays)}
     GROUP BY day, start_hour, country_code, party_id, location_id`,
    ppkStatement('ppk_tariff_daily', 'tariff_id', inDays, v),
    ppkStatement('ppk_location_daily', 'location_id', inDays, v),
  ];
}

// Groups of non-credit CDRs with energy (a price per kWh); a credited original's price is NaN,
// which the quantiles skip, and adds nothing to the count and the sum.
function ppkStatement(table: string, key: 'tariff_id' | 'location_id', inDays: string, v: string): string {
  return `INSERT INTO ${table} (day, country_code, party_id, ${key}, currency, cdrs, ppk_sum, ppk, version)
     SELECT day, country_code, party_id, ${key}, currency, countIf(stands), sumIf(price, stands), quantilesState(0.1, 0.5, 0.9)(if(stands, price, nan)), ${v}
     FROM (
       SELECT day, country_code, party_id, ${key}, currency, stands, toFloat64(revenue_excl) / toFloat64(energy_kwh) AS price
       FROM ${factsOfDays(inDays, ' AND credit = 0 AND energy_kwh > 0')}
     )
     GROUP BY day, country_code, party_id, ${key}, currency`;
}

/**
 * Days to recompute from `since` on (unix seconds, ClickHouse server clock): those that received
 * CDRs, and those of originals that a credit CDR received since credits (a credit may end on
 * another day than the session it cancels), named in any case (a CiString, matched by upper()).
 * cdrs is ordered by the CDR key: the tuple's (country_code, party_id) prefix still selects the
 * granules read (18.16 as well), so the look-up reads only the credited parties' granules.
 */
export const touchedDaysSql = (since: number): string =>
  `SELECT DISTINCT toString(day) AS day FROM (
     SELECT day FROM rollup_touched_days WHERE touched_at >= ${unixSeconds(since)}
     UNION ALL
     SELECT toDate(end_ts, 'UTC') AS day FROM cdrs
     WHERE (country_code, party_id, upper(id)) IN (SELECT country_code, party_id, upper(credit_reference_id) FROM cdr_credits WHERE touched_at >= ${unixSeconds(since)})
   ) ORDER BY day`;

/** The last run's watermark and version (zeros before the first run), and the server's clock now. */
export const runStateSql = (job: string): string =>
  `SELECT toUInt32(now()) AS server_now, toUInt32(argMax(watermark, version)) AS last_watermark, max(version) AS last_version FROM rollup_runs WHERE job = ${quote(job)}`;

/** Month partitions (YYYYMM) of rollup_touched_days. */
export const touchedPartitionsSql = "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = 'rollup_touched_days' AND active";

/** The month (YYYYMM) before the one holding `unixSeconds` (UTC). */
export function monthBefore(unixSeconds: number): number {
  const d = new Date(unixSeconds * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth(); // 0-based: the previous month, 1-based
  return m === 0 ? (y - 1) * 100 + 12 : y * 100 + m;
}
