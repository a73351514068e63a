-- The views of 0003 aggregated at insert time, so they were exact only if no CDR key was ever
-- inserted twice. The ingester checked for stored keys before inserting, but two ingester
-- processes (or one batch retried while another is in flight) can both find a key absent and both
-- insert it: the table collapses the copies, the summed views kept both. ClickHouse 18.16 has no
-- insert deduplication without ZooKeeper, so exactness moves to read time: one narrow row per CDR
-- in a replacing table ordered by day, and every reader deduplicates with FINAL, as it does on
-- `cdrs`. Revenue per party/currency/day, sessions and energy per location/hour and price per kWh
-- per tariff/location are aggregations of this table over a time range.
DROP TABLE IF EXISTS revenue_daily_mv;
DROP TABLE IF EXISTS location_hourly_mv;
DROP TABLE IF EXISTS price_per_kwh_tariff_mv;
DROP TABLE IF EXISTS price_per_kwh_location_mv;
DROP TABLE IF EXISTS revenue_daily;
DROP TABLE IF EXISTS location_hourly;
DROP TABLE IF EXISTS price_per_kwh_tariff;
DROP TABLE IF EXISTS price_per_kwh_location;

-- One row per CDR (country_code, party_id, id); `day` is the UTC day the session ended and
-- `start_hour` the hour it started. Copies of a CDR share every column but ingested_at.
CREATE TABLE IF NOT EXISTS cdr_facts (
  day Date,
  country_code String,
  party_id String,
  id String,
  emsp_country_code String,
  emsp_party_id String,
  currency String,
  credit UInt8,
  start_hour DateTime,
  location_id String,
  tariff_id String,
  revenue_excl Decimal(18, 4),
  revenue_incl Decimal(18, 4),
  energy_kwh Decimal(18, 6),
  charging_hours Decimal(18, 6),
  accepted_at DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_facts_mv TO cdr_facts AS
SELECT
  toDate(end_ts) AS day,
  country_code,
  party_id,
  id,
  token_country_code AS emsp_country_code,
  token_party_id AS emsp_party_id,
  currency,
  credit,
  toStartOfHour(start_ts) AS start_hour,
  location_id,
  tariff_id,
  total_cost_excl AS revenue_excl,
  total_cost_incl AS revenue_incl,
  total_energy AS energy_kwh,
  total_time AS charging_hours,
  accepted_at,
  ingested_at
FROM cdrs;

-- CDRs stored before this migration (rows inserted meanwhile by the view collapse with these).
INSERT INTO cdr_facts (day, country_code, party_id, id, emsp_country_code, emsp_party_id, currency, credit, start_hour, location_id, tariff_id, revenue_excl, revenue_incl, energy_kwh, charging_hours, accepted_at, ingested_at)
SELECT toDate(end_ts), country_code, party_id, id, token_country_code, token_party_id, currency, credit, toStartOfHour(start_ts), location_id, tariff_id,
  total_cost_excl, total_cost_incl, total_energy, total_time, accepted_at, ingested_at
FROM cdrs;
