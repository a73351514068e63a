-- Materialized views for what the dashboards read often. They aggregate at insert time, so they
-- count each CDR once because the ingester never inserts a CDR key that is already stored (it
-- checks before inserting); queries still re-aggregate (sum/-Merge) as SummingMergeTree and
-- AggregatingMergeTree merge in the background.

-- Revenue per CPO party, eMSP party, currency and day (the day the session ended, UTC).
CREATE TABLE IF NOT EXISTS revenue_daily (
  day Date,
  country_code String,
  party_id String,
  emsp_country_code String,
  emsp_party_id String,
  currency String,
  cdrs UInt64,
  credit_cdrs UInt64,
  revenue_excl Decimal(18, 4),
  revenue_incl Decimal(18, 4),
  energy_kwh Decimal(18, 6)
) ENGINE = SummingMergeTree((cdrs, credit_cdrs, revenue_excl, revenue_incl, energy_kwh))
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, currency, emsp_country_code, emsp_party_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS revenue_daily_mv TO revenue_daily AS
SELECT
  toDate(end_ts) AS day,
  country_code,
  party_id,
  token_country_code AS emsp_country_code,
  token_party_id AS emsp_party_id,
  currency,
  toUInt64(1) AS cdrs,
  toUInt64(credit) AS credit_cdrs,
  total_cost_excl AS revenue_excl,
  total_cost_incl AS revenue_incl,
  total_energy AS energy_kwh
FROM cdrs;

-- Sessions and energy per location and hour of session start (peak hours).
CREATE TABLE IF NOT EXISTS location_hourly (
  hour DateTime,
  country_code String,
  party_id String,
  location_id String,
  sessions UInt64,
  energy_kwh Decimal(18, 6),
  charging_hours Decimal(18, 6)
) ENGINE = SummingMergeTree((sessions, energy_kwh, charging_hours))
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, country_code, party_id, location_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS location_hourly_mv TO location_hourly AS
SELECT
  toStartOfHour(start_ts) AS hour,
  country_code,
  party_id,
  location_id,
  toUInt64(1) AS sessions,
  total_energy AS energy_kwh,
  total_time AS charging_hours
FROM cdrs
WHERE credit = 0;

-- Price per kWh (total cost excl. VAT / kWh) statistics per tariff and per location and day.
CREATE TABLE IF NOT EXISTS price_per_kwh_tariff (
  day Date,
  country_code String,
  party_id String,
  tariff_id String,
  currency String,
  n AggregateFunction(count),
  avg_ppk AggregateFunction(avg, Float64),
  q_ppk AggregateFunction(quantiles(0.1, 0.5, 0.9), Float64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, tariff_id, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS price_per_kwh_tariff_mv TO price_per_kwh_tariff AS
SELECT
  toDate(end_ts) AS day,
  country_code,
  party_id,
  tariff_id,
  currency,
  countState() AS n,
  avgState(toFloat64(total_cost_excl) / toFloat64(total_energy)) AS avg_ppk,
  quantilesState(0.1, 0.5, 0.9)(toFloat64(total_cost_excl) / toFloat64(total_energy)) AS q_ppk
FROM cdrs
WHERE credit = 0 AND total_energy > 0
GROUP BY day, country_code, party_id, tariff_id, currency;

CREATE TABLE IF NOT EXISTS price_per_kwh_location (
  day Date,
  country_code String,
  party_id String,
  location_id String,
  currency String,
  n AggregateFunction(count),
  avg_ppk AggregateFunction(avg, Float64),
  q_ppk AggregateFunction(quantiles(0.1, 0.5, 0.9), Float64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, location_id, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS price_per_kwh_location_mv TO price_per_kwh_location AS
SELECT
  toDate(end_ts) AS day,
  country_code,
  party_id,
  location_id,
  currency,
  countState() AS n,
  avgState(toFloat64(total_cost_excl) / toFloat64(total_energy)) AS avg_ppk,
  quantilesState(0.1, 0.5, 0.9)(toFloat64(total_cost_excl) / toFloat64(total_energy)) AS q_ppk
FROM cdrs
WHERE credit = 0 AND total_energy > 0
GROUP BY day, country_code, party_id, location_id, currency;
