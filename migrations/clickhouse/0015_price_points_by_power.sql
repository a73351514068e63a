-- Price per kWh samples of a location per kind of power: DC and AC apart. A location with both
-- bills DC fast charging at a higher price per kWh than its AC chargers (0.70 against 0.40 is
-- usual), so a statistic over all its sessions sits at the AC price when AC sessions are most, and
-- every DC session the hub cannot price itself was flagged price_per_kwh_outlier. Scope
-- 'location_power' has scope_id `<location_id>*DC` or `<location_id>*AC` (any power type but DC:
-- AC prices do not differ by phases). The detector reads it instead of scope 'location', whose
-- view is dropped (its rows stay; nothing reads them). Runs on ClickHouse 18.16 and current
-- ClickHouse. The new view is created before the old one is dropped and the stored CDRs are
-- copied after both, so no CDR misses the new scope; copies collapse (same key and version).
CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_price_points_location_power_mv TO cdr_price_points AS
SELECT country_code, party_id, 'location_power' AS scope, concat(location_id, '*', if(connector_power_type = 'DC', 'DC', 'AC')) AS scope_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0;

DROP TABLE IF EXISTS cdr_price_points_location_mv;

INSERT INTO cdr_price_points
SELECT country_code, party_id, 'location_power', concat(location_id, '*', if(connector_power_type = 'DC', 'DC', 'AC')), currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy), stream_seq, bitNot(stream_seq)
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0;
