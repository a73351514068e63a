-- Narrow look-up tables for the anomaly detector's per-batch questions: "which stored CDRs share a
-- session with these?" and "which share a token?". `cdrs` is ordered by the CDR's identity, so both
-- questions read the whole table; these are ordered by the session key and by the token, so each
-- reads only the granules of the keys asked for. Filled from `cdrs` at insert time by materialized
-- views, so every writer of `cdrs` fills them. A CDR stored twice may have two rows until a merge:
-- the detector deduplicates when it reads (keeping the lowest stream_seq, the first stored copy),
-- and the merge keeps the same one (the version is bitNot(stream_seq), highest for the lowest seq).
-- Runs on ClickHouse 18.16 and current ClickHouse.
CREATE TABLE IF NOT EXISTS cdrs_by_session (
  session_key String,
  country_code String,
  party_id String,
  id String,
  token_country_code String,
  token_party_id String,
  token_uid String,
  start_ts DateTime,
  end_ts DateTime,
  credit UInt8,
  credit_reference_id String,
  location_id String,
  evse_uid String,
  total_cost_excl Decimal(18, 4),
  currency String,
  accepted_at DateTime,
  stream_seq UInt64,
  first_copy UInt64
) ENGINE = ReplacingMergeTree(first_copy)
ORDER BY (session_key, country_code, party_id, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS cdrs_by_session_mv TO cdrs_by_session AS
SELECT session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs;

-- Ordered by uid first: the detector asks `token_uid IN (...) AND (country, party, uid) IN (...)`.
CREATE TABLE IF NOT EXISTS cdrs_by_token (
  token_uid String,
  token_country_code String,
  token_party_id String,
  country_code String,
  party_id String,
  id String,
  session_key String,
  start_ts DateTime,
  end_ts DateTime,
  credit UInt8,
  credit_reference_id String,
  location_id String,
  evse_uid String,
  total_cost_excl Decimal(18, 4),
  currency String,
  accepted_at DateTime,
  stream_seq UInt64,
  first_copy UInt64
) ENGINE = ReplacingMergeTree(first_copy)
ORDER BY (token_uid, token_country_code, token_party_id, country_code, party_id, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS cdrs_by_token_mv TO cdrs_by_token AS
SELECT token_uid, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE token_uid != '';

-- Price per kWh samples (non-credit CDRs with energy and a positive total), ordered by the
-- location and by the tariff they are judged against, so a statistic reads only its own samples.
-- `scope` is 'location' or 'tariff'; `scope_id` the location or tariff id.
CREATE TABLE IF NOT EXISTS cdr_price_points (
  country_code String,
  party_id String,
  scope String,
  scope_id String,
  currency String,
  id String,
  end_ts DateTime,
  total_energy Decimal(18, 6),
  ppk Float64,
  stream_seq UInt64,
  first_copy UInt64
) ENGINE = ReplacingMergeTree(first_copy)
ORDER BY (country_code, party_id, scope, scope_id, currency, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_price_points_location_mv TO cdr_price_points AS
SELECT country_code, party_id, 'location' AS scope, location_id AS scope_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_price_points_tariff_mv TO cdr_price_points AS
SELECT country_code, party_id, 'tariff' AS scope, tariff_id AS scope_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy) AS ppk, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0 AND tariff_id != '';

-- CDRs stored before this migration (rows the views insert meanwhile are copies that collapse).
INSERT INTO cdrs_by_session
SELECT session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq)
FROM cdrs;

INSERT INTO cdrs_by_token
SELECT token_uid, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq)
FROM cdrs
WHERE token_uid != '';

INSERT INTO cdr_price_points
SELECT country_code, party_id, 'location', location_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy), stream_seq, bitNot(stream_seq)
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0;

INSERT INTO cdr_price_points
SELECT country_code, party_id, 'tariff', tariff_id, currency, id, end_ts, total_energy,
  toFloat64(total_cost_excl) / toFloat64(total_energy), stream_seq, bitNot(stream_seq)
FROM cdrs
WHERE credit = 0 AND total_energy > 0 AND total_cost_excl > 0 AND tariff_id != '';
