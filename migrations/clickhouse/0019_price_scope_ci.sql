-- Tariff.id and Location.id are CiStrings: a CDR naming tariff `tar1` or location `loc-1` is
-- judged against the price-per-kWh statistics of `TAR1` and `LOC-1`. The detector asks
-- cdr_price_points by scope_id, on its sorting key, so the scopes it reads ('tariff',
-- 'location_power') hold their ids with the ASCII letters upper-cased (upper() folds a-z only, as
-- ciKey in ocpi/ciString.ts). Each new view is created before the old one is dropped, so no CDR
-- inserted meanwhile misses the table; one inserted while both exist has two copies of equal
-- version that collapse. Rows stored before get a copy under the upper()-ed scope_id; the old copy
-- stays, under an id nobody asks for any more. Runs on ClickHouse 18.16 and current ClickHouse.
-- Views insert by column name; the copy selects the columns in the table's order, the new id under
-- an alias of its own (named scope_id, it would stand for upper() in the WHERE too).
CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_price_points_tariff_ci_mv TO cdr_price_points AS
SELECT country_code, party_id, 'tariff' AS scope, upper(tariff_id) AS scope_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0 AND tariff_id != '';

DROP TABLE IF EXISTS cdr_price_points_tariff_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_price_points_location_power_ci_mv TO cdr_price_points AS
SELECT country_code, party_id, 'location_power' AS scope, concat(upper(location_id), '*', if(connector_power_type = 'DC', 'DC', 'AC')) AS scope_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0;

DROP TABLE IF EXISTS cdr_price_points_location_power_mv;

INSERT INTO cdr_price_points (country_code, party_id, scope, scope_id, currency, id, end_ts, total_energy, ppk, stream_seq, first_copy)
SELECT country_code, party_id, scope, upper(scope_id) AS upper_scope_id, currency, id, end_ts, total_energy, ppk, stream_seq, first_copy
FROM cdr_price_points
WHERE scope IN ('tariff', 'location_power') AND scope_id != upper(scope_id);
