-- CDRs as the hub accepted them, one row per CDR. The same CDR may be delivered more than once
-- (JetStream redelivery, a partner re-posting): ReplacingMergeTree keyed by the OCPI identity
-- (country_code, party_id, id) keeps one, and every query deduplicates with FINAL or argMax.
-- Runs on ClickHouse 18.16 and current ClickHouse: no DateTime64, no TTL, no LowCardinality.
-- Times are UTC (DateTime inserted as unix seconds); money is Decimal inserted as JSON numbers.
CREATE TABLE IF NOT EXISTS cdrs (
  country_code String,
  party_id String,
  id String,
  start_ts DateTime,
  end_ts DateTime,
  session_id String,
  session_key String,
  token_country_code String,
  token_party_id String,
  token_uid String,
  token_type String,
  contract_id String,
  auth_method String,
  location_id String,
  evse_uid String,
  evse_id String,
  connector_id String,
  connector_power_type String,
  location_country String,
  city String,
  currency String,
  tariff_id String,
  total_cost_excl Decimal(18, 4),
  total_cost_incl Decimal(18, 4),
  total_energy_cost_excl Decimal(18, 4),
  total_time_cost_excl Decimal(18, 4),
  total_fixed_cost_excl Decimal(18, 4),
  total_energy Decimal(18, 6),
  total_time Decimal(18, 6),
  total_parking_time Decimal(18, 6),
  periods UInt16,
  credit UInt8,
  credit_reference_id String,
  receiver_country_code String,
  receiver_party_id String,
  last_updated DateTime,
  accepted_at DateTime,
  ingested_at DateTime,
  stream_seq UInt64
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(end_ts)
ORDER BY (country_code, party_id, id);

-- One row per charging period (the CDR's dimensions pivoted into columns), for hourly energy.
CREATE TABLE IF NOT EXISTS cdr_charging_periods (
  country_code String,
  party_id String,
  cdr_id String,
  period_index UInt16,
  start_ts DateTime,
  location_id String,
  tariff_id String,
  energy Decimal(18, 6),
  time_h Decimal(18, 6),
  parking_time_h Decimal(18, 6),
  max_power Float64,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(start_ts)
ORDER BY (country_code, party_id, cdr_id, period_index);

-- Tariffs and connectors as pushed, for the anomaly detector (price recomputation, connector power).
CREATE TABLE IF NOT EXISTS tariffs (
  country_code String,
  party_id String,
  id String,
  currency String,
  deleted UInt8,
  body String,
  last_updated DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(last_updated)
ORDER BY (country_code, party_id, id);

CREATE TABLE IF NOT EXISTS locations (
  country_code String,
  party_id String,
  id String,
  name String,
  city String,
  country String,
  time_zone String,
  latitude Float64,
  longitude Float64,
  last_updated DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(last_updated)
ORDER BY (country_code, party_id, id);

CREATE TABLE IF NOT EXISTS connectors (
  country_code String,
  party_id String,
  location_id String,
  evse_uid String,
  connector_id String,
  standard String,
  power_type String,
  max_voltage UInt32,
  max_amperage UInt32,
  max_electric_power UInt32,
  last_updated DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(last_updated)
ORDER BY (country_code, party_id, location_id, evse_uid, connector_id);
