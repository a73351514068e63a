// The statements that recompute the dashboard rollups (migrations/clickhouse/0006) for a set of
// days, from cdr_facts FINAL: one row per CDR however often it was delivered. Each statement
// rebuilds every group of those days with one version; the replacing tables keep the newest.
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

/** INSERT … SELECT per rollup table for `days` (YYYY-MM-DD, UTC), all written with `version`. */
export function recomputeStatements(days: readonly string[], version: number): string[] {
  const inDays = `day IN (${dayList(days)})`;
  const v = versionOf(version);
  return [
    `INSERT INTO revenue_daily (day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit, cdrs, revenue_excl, revenue_incl, energy_kwh, session_cost, version)
     SELECT day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit,
       count(), sum(revenue_excl), sum(revenue_incl), sum(energy_kwh), quantilesState(0.5)(toFloat64(revenue_excl)), ${v}
     FROM cdr_facts FINAL
     WHERE ${inDays}
     GROUP BY day, country_code, party_id, emsp_country_code, emsp_party_id, currency, credit`,
    `INSERT INTO location_hourly (day, hour, country_code, party_id, location_id, sessions, energy_kwh, charging_hours, version)
     SELECT day, start_hour, country_code, party_id, location_id, count(), sum(energy_kwh), sum(charging_hours), ${v}
     FROM cdr_facts FINAL
     WHERE ${inDays} AND credit = 0
     GROUP BY day, start_hour, country_code, party_id, location_id`,
    ppkStatement('ppk_tariff_daily', 'tariff_id', inDays, v),
    ppkStatement('ppk_location_daily', 'location_id', inDays, v),
  ];
}

function ppkStatement(table: string, key: 'tariff_id' | 'location_id', inDays: string, v: string): string {
  return `INSERT INTO ${table} (day, country_code, party_id, ${key}, currency, cdrs, ppk_sum, ppk, version)
     SELECT day, country_code, party_id, ${key}, currency, count(), sum(price), quantilesState(0.1, 0.5, 0.9)(price), ${v}
     FROM (
       SELECT day, country_code, party_id, ${key}, currency, toFloat64(revenue_excl) / toFloat64(energy_kwh) AS price
       FROM cdr_facts FINAL
       WHERE ${inDays} AND credit = 0 AND energy_kwh > 0
     )
     GROUP BY day, country_code, party_id, ${key}, currency`;
}

/** Days that received CDRs at or after `since` (unix seconds, ClickHouse server clock). */
export const touchedDaysSql = (since: number): string =>
  `SELECT DISTINCT toString(day) AS day FROM rollup_touched_days WHERE touched_at >= toDateTime(${Math.max(0, Math.floor(since))}) ORDER BY day`;

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
