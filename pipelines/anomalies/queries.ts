// The set-based side of detection: what the rules need from ClickHouse, one statement each, all
// running on 18.16 (no window functions: groupArray + arrayReduce for MAD; FINAL for dedupe).
// Values only enter through quote().
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from '../../src/store/clickhouse.ts';
import type { Tariff } from '../../ocpi/tariffs/types.ts';
import type { CdrLite, DailyVolume, RobustStat } from './rules.ts';

const tupleList = (tuples: readonly (readonly string[])[]) => tuples.map((t) => `(${t.map(quote).join(',')})`).join(',');

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_query_size: '16777216' } });
  return result.json<T>();
}

const liteColumns = `country_code, party_id, id, session_key, token_country_code, token_party_id, token_uid,
  toUInt32(start_ts) AS start_ts, toUInt32(end_ts) AS end_ts, credit, credit_reference_id, toUInt64(stream_seq) AS stream_seq,
  location_id, evse_uid, toFloat64(total_cost_excl) AS total_cost_excl, currency, toUInt32(accepted_at) AS accepted_at`;

function toLite(r: Record<string, unknown>): CdrLite {
  return {
    ...(r as unknown as CdrLite),
    start_ts: Number(r.start_ts),
    end_ts: Number(r.end_ts),
    credit: Number(r.credit) ? 1 : 0,
    stream_seq: Number(r.stream_seq),
    total_cost_excl: Number(r.total_cost_excl),
    accepted_at: Number(r.accepted_at),
  };
}

/**
 * Stored CDRs sharing a session key or a token with the given ones. Deduplicated by CDR key here
 * (the copy with the lowest stream sequence, i.e. the first stored) rather than with FINAL, which
 * on 18.16 merges the whole table in one thread.
 */
export async function neighbours(client: ClickHouseClient, sessionKeys: string[], tokens: [string, string, string][]): Promise<CdrLite[]> {
  if (sessionKeys.length === 0 && tokens.length === 0) return [];
  const conditions: string[] = [];
  if (sessionKeys.length) conditions.push(`session_key IN (${sessionKeys.map(quote).join(',')})`);
  if (tokens.length) conditions.push(`(token_country_code, token_party_id, token_uid) IN (${tupleList(tokens)})`);
  const found = (await rows<Record<string, unknown>>(client, `SELECT ${liteColumns} FROM cdrs WHERE ${conditions.join(' OR ')}`)).map(toLite);
  const first = new Map<string, CdrLite>();
  for (const c of found) {
    const key = `${c.country_code}*${c.party_id}*${c.id}`;
    const seen = first.get(key);
    if (!seen || c.stream_seq < seen.stream_seq) first.set(key, c);
  }
  return [...first.values()];
}

/** The latest version of each tariff (by last_updated), unless deleted. */
export async function tariffsByKey(client: ClickHouseClient, keys: [string, string, string][]): Promise<Map<string, Tariff>> {
  const out = new Map<string, Tariff>();
  if (keys.length === 0) return out;
  const found = await rows<{ country_code: string; party_id: string; id: string; body: string; deleted: number }>(
    client,
    `SELECT country_code, party_id, id, argMax(body, last_updated) AS body, argMax(deleted, last_updated) AS deleted
     FROM tariffs WHERE (country_code, party_id, id) IN (${tupleList(keys)}) GROUP BY country_code, party_id, id`,
  );
  for (const r of found) {
    if (Number(r.deleted) || !r.body) continue;
    try {
      out.set(`${r.country_code}*${r.party_id}*${r.id}`, JSON.parse(r.body) as Tariff);
    } catch {
      /* a tariff body that is not JSON cannot be priced with; the CDR is judged by statistics */
    }
  }
  return out;
}

/** max_electric_power (W) per connector and time_zone per location, latest versions. */
export async function locationFacts(client: ClickHouseClient, connectors: [string, string, string, string, string][]): Promise<{ powerW: Map<string, number>; timeZone: Map<string, string> }> {
  const powerW = new Map<string, number>();
  const timeZone = new Map<string, string>();
  if (connectors.length === 0) return { powerW, timeZone };
  const power = await rows<{ k: string; p: number }>(
    client,
    `SELECT concat(country_code, '*', party_id, '*', location_id, '*', evse_uid, '*', connector_id) AS k, argMax(max_electric_power, last_updated) AS p
     FROM connectors WHERE (country_code, party_id, location_id, evse_uid, connector_id) IN (${tupleList(connectors)}) GROUP BY k`,
  );
  for (const r of power) powerW.set(r.k, Number(r.p));
  const locations = [...new Map(connectors.map((c) => [`${c[0]}*${c[1]}*${c[2]}`, [c[0], c[1], c[2]] as const])).values()];
  const zones = await rows<{ k: string; tz: string }>(
    client,
    `SELECT concat(country_code, '*', party_id, '*', id) AS k, argMax(time_zone, last_updated) AS tz FROM locations WHERE (country_code, party_id, id) IN (${tupleList(locations)}) GROUP BY k`,
  );
  for (const r of zones) if (r.tz) timeZone.set(r.k, r.tz);
  return { powerW, timeZone };
}

/**
 * Median and MAD of price per kWh (excl. VAT) per location or tariff over the last `days` days of
 * stored CDRs with at least `minKwh` kWh. MAD is computed with arrays (no window functions).
 */
export async function pricePerKwhStats(
  client: ClickHouseClient,
  scope: 'location_id' | 'tariff_id',
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
       SELECT concat(country_code, '*', party_id, '*', ${scope}, '*', currency) AS k, groupArray(ppk) AS xs, quantileExact(0.5)(ppk) AS med
       FROM (
         SELECT country_code, party_id, ${scope}, currency, toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk
         FROM cdrs
         WHERE credit = 0 AND total_energy >= ${quote(minKwh)} AND total_cost_excl > 0
           AND end_ts >= now() - INTERVAL ${quote(days)} DAY
           AND (country_code, party_id, ${scope}, currency) IN (${tupleList(keys)})
         LIMIT 1 BY country_code, party_id, id
       )
       GROUP BY k
     )`,
  );
  for (const r of found) out.set(r.k, { n: Number(r.n), median: Number(r.med), mad: Number(r.mad) });
  return out;
}

/**
 * Daily CDR count (non-credit CDRs), revenue (excl. VAT, credits included, as they reduce it) and
 * latest acceptance per CPO party and currency, from cdr_facts deduplicated with FINAL.
 */
export async function dailyVolumes(client: ClickHouseClient, sinceDays = 400): Promise<Map<string, { party: { country_code: string; party_id: string; currency: string }; series: DailyVolume[] }>> {
  const found = await rows<{ country_code: string; party_id: string; currency: string; d: string; n: string; revenue: number; last: string }>(
    client,
    `SELECT country_code, party_id, currency, toString(day) AS d, countIf(credit = 0) AS n, toFloat64(sum(revenue_excl)) AS revenue, toUInt32(max(accepted_at)) AS last
     FROM cdr_facts FINAL WHERE day >= today() - ${quote(sinceDays)}
     GROUP BY country_code, party_id, currency, day ORDER BY d`,
  );
  const out = new Map<string, { party: { country_code: string; party_id: string; currency: string }; series: DailyVolume[] }>();
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
