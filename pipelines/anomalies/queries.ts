// The set-based side of detection: what the rules need from ClickHouse, one statement each, all
// running on 18.16 and current ClickHouse (no window functions: groupArray + arrayReduce for MAD).
// Per-batch questions read the narrow look-up tables of migrations/clickhouse/0005_cdr_lookups.sql,
// ordered by what is asked (session, token, location or tariff), never a scan of `cdrs`. Copies
// of a CDR are collapsed when read, without FINAL (single-threaded on 18.16). Values only enter
// through quote().
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from '../../src/store/clickhouse.ts';
import { ciKey } from '../../ocpi/ciString.ts';
import type { Tariff } from '../../ocpi/tariffs/types.ts';
import { cdrIdentity, connectorPowerW, type CdrLite, type ConnectorPower, type DailyVolume, type HubTariff, type RobustStat } from './rules.ts';

const tupleList = (tuples: readonly (readonly string[])[]) => tuples.map((t) => `(${t.map(quote).join(',')})`).join(',');

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_query_size: '16777216' } });
  return result.json<T>();
}

// The session key upper()-ed: rows stored before session keys were case-insensitive (0017) carry
// the session id as spelled; upper() folds a-z only, as the ingest's ciKey does. Under another
// name: an alias shadows the column in WHERE, and `session_key IN` must stay on the sorting key.
const liteColumns = `country_code, party_id, id, upper(session_key) AS session_key_ci, token_country_code, token_party_id, token_uid, token_type,
  toUInt32(start_ts) AS start_ts, toUInt32(end_ts) AS end_ts, credit, credit_reference_id, toUInt64(stream_seq) AS stream_seq,
  location_id, evse_uid, toFloat64(total_cost_excl) AS total_cost_excl, currency, toUInt32(accepted_at) AS accepted_at`;

function toLite({ session_key_ci, ...r }: Record<string, unknown>): CdrLite {
  return {
    ...(r as unknown as CdrLite),
    session_key: String(session_key_ci),
    start_ts: Number(r.start_ts),
    end_ts: Number(r.end_ts),
    credit: Number(r.credit) ? 1 : 0,
    stream_seq: Number(r.stream_seq),
    total_cost_excl: Number(r.total_cost_excl),
    accepted_at: Number(r.accepted_at),
  };
}

/**
 * Stored CDRs sharing a session key or a token with the given ones, from the look-up tables
 * ordered by session key and by token. Deduplicated by CDR key here (the copy with the lowest
 * stream sequence, i.e. the first stored): a CDR is in both tables, and may be stored twice, under
 * its id in two cases too.
 */
export async function neighbours(client: ClickHouseClient, sessionKeys: string[], tokens: [string, string, string][]): Promise<CdrLite[]> {
  const lookups: Promise<Record<string, unknown>[]>[] = [];
  if (sessionKeys.length) lookups.push(rows(client, `SELECT ${liteColumns} FROM cdrs_by_session WHERE session_key IN (${sessionKeys.map(quote).join(',')})`));
  if (tokens.length) {
    // Token uids are CiStrings, stored in cdrs_by_token upper()-ed (0018): asked for as ciKey.
    const byUid = tokens.map(([country, party, uid]) => [country, party, ciKey(uid)] as const);
    const uids = [...new Set(byUid.map((t) => t[2]))];
    lookups.push(rows(client, `SELECT ${liteColumns} FROM cdrs_by_token WHERE token_uid IN (${uids.map(quote).join(',')}) AND (token_country_code, token_party_id, token_uid) IN (${tupleList(byUid)})`));
  }
  const found = (await Promise.all(lookups)).flat().map(toLite);
  const first = new Map<string, CdrLite>();
  for (const c of found) {
    const key = cdrIdentity(c.country_code, c.party_id, c.id);
    const seen = first.get(key);
    if (!seen || c.stream_seq < seen.stream_seq) first.set(key, c);
  }
  return [...first.values()];
}

/**
 * Object ids are CiStrings: a CDR may name tariff `tar1`, location `loc-1` or EVSE `evse-1` for the
 * stored `TAR1`, `LOC-1`, `EVSE-1`, and a PATCH may spell them otherwise than its PUT. The look-ups
 * below match stored rows by the ids upper()-ed (ClickHouse's upper folds a-z only, as ciKey does)
 * and answer under each key as the caller spelled it. The tuples keep (country_code, party_id) as
 * they are: the prefix of each table's sorting key, so only the asked parties' granules are read
 * (the stored keys are not re-keyed).
 */
const ciTuple = (t: readonly string[]): string[] => [t[0], t[1], ...t.slice(2).map(ciKey)];

/** The latest version of each tariff (by last_updated) and when it was updated, unless deleted. */
export async function tariffsByKey(client: ClickHouseClient, keys: [string, string, string][]): Promise<Map<string, HubTariff>> {
  const out = new Map<string, HubTariff>();
  if (keys.length === 0) return out;
  const found = await rows<{ k: string; body: string; deleted: number; updated: number }>(
    client,
    `SELECT concat(country_code, '*', party_id, '*', upper(id)) AS k, argMax(body, last_updated) AS body, argMax(deleted, last_updated) AS deleted, toUInt32(max(last_updated)) AS updated
     FROM tariffs WHERE (country_code, party_id, upper(id)) IN (${tupleList(keys.map(ciTuple))}) GROUP BY k`,
  );
  const byCi = new Map<string, HubTariff>();
  for (const r of found) {
    if (Number(r.deleted) || !r.body) continue;
    try {
      byCi.set(r.k, { tariff: JSON.parse(r.body) as Tariff, lastUpdated: Number(r.updated) });
    } catch {
      /* a tariff body that is not JSON cannot be priced with; the CDR is judged by statistics */
    }
  }
  for (const k of keys) {
    const hit = byCi.get(ciTuple(k).join('*'));
    if (hit) out.set(k.join('*'), hit);
  }
  return out;
}

/**
 * Power (W) per connector and time_zone per location, latest versions. Each power field is its
 * latest value by last_updated among the rows that carry it (a PATCH carries only what changed;
 * migrations/clickhouse/0011_connector_power.sql), and power is derived from them with
 * connectorPowerW. A connector without a known power is left out. The time zone is the latest by
 * last_updated from PUTs and PATCHes (0013_location_time_zone.sql). Keyed as the caller spelled
 * the ids (`country*party*location*evse*connector`, `country*party*location`).
 */
export async function locationFacts(client: ClickHouseClient, connectors: [string, string, string, string, string][]): Promise<{ powerW: Map<string, number>; timeZone: Map<string, string> }> {
  const powerW = new Map<string, number>();
  const timeZone = new Map<string, string>();
  if (connectors.length === 0) return { powerW, timeZone };
  const power = await rows<{ k: string } & Record<keyof ConnectorPower, string | number>>(
    client,
    `SELECT concat(country_code, '*', party_id, '*', upper(location_id), '*', upper(evse_uid), '*', upper(connector_id)) AS k,
       argMaxIf(power_type, last_updated, has_power_type = 1) AS power_type,
       argMaxIf(max_voltage, last_updated, has_max_voltage = 1) AS max_voltage,
       argMaxIf(max_amperage, last_updated, has_max_amperage = 1) AS max_amperage,
       argMaxIf(max_electric_power, last_updated, has_max_electric_power = 1) AS max_electric_power
     FROM connector_power WHERE (country_code, party_id, upper(location_id), upper(evse_uid), upper(connector_id)) IN (${tupleList(connectors.map(ciTuple))}) GROUP BY k`,
  );
  const powerByCi = new Map<string, number>();
  for (const r of power) {
    const w = connectorPowerW({ power_type: String(r.power_type), max_voltage: Number(r.max_voltage), max_amperage: Number(r.max_amperage), max_electric_power: Number(r.max_electric_power) });
    if (w !== null) powerByCi.set(r.k, w);
  }
  for (const c of connectors) {
    const w = powerByCi.get(ciTuple(c).join('*'));
    if (w !== undefined) powerW.set(c.join('*'), w);
  }
  const locations = [...new Map(connectors.map((c) => [`${c[0]}*${c[1]}*${c[2]}`, [c[0], c[1], c[2]] as const])).values()];
  const zones = await rows<{ k: string; tz: string }>(
    client,
    `SELECT concat(country_code, '*', party_id, '*', upper(id)) AS k, argMax(time_zone, last_updated) AS tz FROM location_time_zone WHERE (country_code, party_id, upper(id)) IN (${tupleList(locations.map(ciTuple))}) GROUP BY k`,
  );
  const zoneByCi = new Map(zones.filter((r) => r.tz).map((r) => [r.k, r.tz]));
  for (const l of locations) {
    const tz = zoneByCi.get(ciTuple(l).join('*'));
    if (tz) timeZone.set(l.join('*'), tz);
  }
  return { powerW, timeZone };
}

/** A CDR's location price scope: its location and kind of power (migrations/clickhouse/0015_price_points_by_power.sql). */
export const locationPowerScope = (locationId: string, connectorPowerType: string): string => `${locationId}*${connectorPowerType === 'DC' ? 'DC' : 'AC'}`;

/** A price scope's key as stored (0019_price_scope_ci.sql): its tariff or location id upper()-ed. */
const ciScope = (k: readonly string[]): string[] => [k[0], k[1], ciKey(k[2]), k[3]];

/**
 * Median and MAD of price per kWh (excl. VAT) per location and kind of power (keys name it with
 * locationPowerScope) or per tariff over the last `days` days of
 * stored CDRs with at least `minKwh` kWh, from the price points ordered by location and tariff
 * (one per CDR and scope; copies collapsed with LIMIT 1 BY, a CDR id in any case being one CDR).
 * MAD is computed with arrays. Scope ids are CiStrings, stored upper()-ed; keyed as the caller
 * spelled them.
 */
export async function pricePerKwhStats(
  client: ClickHouseClient,
  scope: 'location_power' | 'tariff_id',
  keys: [string, string, string, string][],
  minKwh: number,
  days = 400,
): Promise<Map<string, RobustStat>> {
  const out = new Map<string, RobustStat>();
  if (keys.length === 0) return out;
  const found = await rows<{ k: string; n: string; med: number; mad: number }>(
    client,
    `SELECT k, length(xs) AS n, med, arrayReduce('quantileExact', arrayMap(x -> abs(x - med), xs)) AS mad
     FROM (
       SELECT concat(country_code, '*', party_id, '*', scope_id, '*', currency) AS k, groupArray(ppk) AS xs, quantileExact(0.5)(ppk) AS med
       FROM (
         SELECT country_code, party_id, scope_id, currency, ppk
         FROM cdr_price_points
         WHERE scope = ${quote(scope === 'location_power' ? 'location_power' : 'tariff')}
           AND (country_code, party_id, scope_id, currency) IN (${tupleList(keys.map(ciScope))})
           AND total_energy >= ${quote(minKwh)}
           AND end_ts >= now() - INTERVAL ${quote(days)} DAY
         LIMIT 1 BY country_code, party_id, scope_id, currency, upper(id)
       )
       GROUP BY k
     )`,
  );
  const byCi = new Map(found.map((r) => [r.k, { n: Number(r.n), median: Number(r.med), mad: Number(r.mad) }]));
  for (const k of keys) {
    const stat = byCi.get(ciScope(k).join('*'));
    if (stat) out.set(k.join('*'), stat);
  }
  return out;
}

export interface PartySeries {
  party: { country_code: string; party_id: string; currency: string };
  series: DailyVolume[];
}

/** Which days dailyVolumes reads: the last `sinceDays` days up to `until`, or a set of days. */
export type DaySelection = { sinceDays: number; until: string } | { days: readonly string[] };

/**
 * Daily sessions billed, revenue (excl. VAT, credits included, as they reduce it) and latest
 * acceptance per CPO party and currency, from cdr_facts. Sessions count as on the dashboards
 * (migrations/clickhouse/0010_credited_sessions.sql): a CDR that is no credit CDR and that no
 * credit CDR of its party names (cdr_credits), so an original credited and re-issued is one
 * session (the re-issue) and neither the credit nor the credited original adds one. Counting every
 * non-credit CDR made each correction look like an extra session. CDR ids are CiStrings, compared
 * as upper(): ClickHouse's upper folds ASCII letters only, as ciKey (ocpi/ciString.ts) does, so a
 * credit naming its original in another case credits it, and a copy spelled otherwise is the same
 * CDR. Copies of a CDR share every
 * column but ingested_at, so they collapse in a GROUP BY on the CDR key (which, unlike FINAL,
 * runs on every core on 18.16). Keyed by party and currency.
 */
export async function dailyVolumes(client: ClickHouseClient, selection: DaySelection): Promise<Map<string, PartySeries>> {
  const out = new Map<string, PartySeries>();
  let where: string;
  if ('days' in selection) {
    if (selection.days.length === 0) return out;
    where = `day IN (${selection.days.map((d) => `toDate(${quote(d)})`).join(',')})`;
  } else {
    where = `day >= toDate(${quote(selection.until)}) - ${quote(selection.sinceDays)} AND day <= toDate(${quote(selection.until)})`;
  }
  const found = await rows<{ country_code: string; party_id: string; currency: string; d: string; n: string; revenue: number; last: string }>(
    client,
    `SELECT country_code, party_id, cur AS currency, toString(day) AS d,
       countIf(is_credit = 0 AND (country_code, party_id, id_key) NOT IN (SELECT country_code, party_id, upper(credit_reference_id) FROM cdr_credits)) AS n,
       toFloat64(sum(rev)) AS revenue, toUInt32(max(accepted)) AS last
     FROM (
       SELECT day, country_code, party_id, upper(id) AS id_key, any(currency) AS cur, any(credit) AS is_credit, any(revenue_excl) AS rev, max(accepted_at) AS accepted
       FROM cdr_facts WHERE ${where}
       GROUP BY day, country_code, party_id, id_key
     )
     GROUP BY country_code, party_id, currency, day ORDER BY d`,
  );
  for (const r of found) {
    const key = `${r.country_code}*${r.party_id}*${r.currency}`;
    let entry = out.get(key);
    if (!entry) {
      entry = { party: { country_code: r.country_code, party_id: r.party_id, currency: r.currency }, series: [] };
      out.set(key, entry);
    }
    entry.series.push({ day: r.d, cdrs: Number(r.n), revenue: Number(r.revenue), lastAcceptedAt: Number(r.last) });
  }
  return out;
}

/** A finding as stored in `anomalies` (after FINAL: its latest state). */
export interface StoredFinding {
  finding_key: string;
  type: string;
  severity: string;
  country_code: string;
  party_id: string;
  cdr_id: string;
  currency: string;
  amount_at_risk: number;
  /** JSON text. */
  evidence: string;
  accepted_at: number;
  detected_at: number;
  /** Unix seconds; 0 while the finding stands. */
  withdrawn_at: number;
  withdrawn_reason: string;
}

/**
 * Standing (not withdrawn) per-CDR findings of the given types among the keys, as they stand now
 * (FINAL collapses a finding with its withdrawal; the sorting key starts with (type, finding_key),
 * so only the keys' granules are read).
 */
export async function standingCdrFindings(client: ClickHouseClient, types: readonly string[], keys: readonly string[]): Promise<StoredFinding[]> {
  if (keys.length === 0 || types.length === 0) return [];
  return findingsWhere(client, `type IN (${types.map(quote).join(',')}) AND finding_key IN (${keys.map(quote).join(',')}) AND withdrawn_at = toDateTime(0)`);
}

/** Stored findings as they stand (FINAL), matching `where`. */
async function findingsWhere(client: ClickHouseClient, where: string): Promise<StoredFinding[]> {
  const found = await rows<Record<string, unknown>>(
    client,
    `SELECT finding_key, type, severity, country_code, party_id, cdr_id, currency, amount_at_risk, evidence,
       toUInt32(accepted_at) AS accepted_at, toUInt32(detected_at) AS detected_at, toUInt32(withdrawn_at) AS withdrawn_at, withdrawn_reason
     FROM anomalies FINAL WHERE ${where}`,
  );
  return found.map((r) => ({
    ...(r as unknown as StoredFinding),
    amount_at_risk: Number(r.amount_at_risk),
    accepted_at: Number(r.accepted_at),
    detected_at: Number(r.detected_at),
    withdrawn_at: Number(r.withdrawn_at),
  }));
}

/**
 * Party drift findings as they stand now (withdrawn or not), by finding key or by party and
 * currency. FINAL collapses a finding with its withdrawal (or reinstatement) rows, which share its
 * partition (migrations/clickhouse/0012_anomaly_withdrawals.sql); the sorting key starts with
 * (type, finding_key), so a look-up by key reads only its granules, and one by party only the
 * drift findings (few: one per party and day at most).
 */
export async function storedDriftFindings(client: ClickHouseClient, which: { keys: readonly string[] } | { parties: readonly [string, string, string][] }): Promise<StoredFinding[]> {
  const list = 'keys' in which ? which.keys : which.parties;
  if (list.length === 0) return [];
  const where = 'keys' in which ? `finding_key IN (${which.keys.map(quote).join(',')})` : `(country_code, party_id, currency) IN (${tupleList(which.parties)})`;
  return findingsWhere(client, `type = 'party_volume_drift' AND ${where}`);
}
