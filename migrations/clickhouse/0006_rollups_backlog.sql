-- Rollups for what the Revenue and utilisation dashboard reads often: revenue per party, currency
-- and day, sessions and energy per location and hour, price per kWh per tariff and per location.
--
-- Why not materialized views (0003 had them, 0004 dropped them): a materialized view aggregates
-- each insert block on its own and cannot see what is already stored. A CDR delivered twice
-- (JetStream redelivery, a partner re-posting it, two ingesters racing) reaches the view twice and
-- is summed twice, while the replacing `cdrs` and `cdr_facts` tables collapse the copies. 18.16 has
-- no insert deduplication without ZooKeeper, so no view can be exact under redelivery.
--
-- Instead the rollups are recomputed, not accumulated: the pipelines role (pipelines/rollups/)
-- runs every ANALYTICS_ROLLUP_INTERVAL_MS and, for every day touched since its last run,
-- aggregates that whole day again from `cdr_facts FINAL` (one row per CDR, copies collapsed) and
-- inserts the result with a higher `version`. The tables are ReplacingMergeTree(version) keyed by
-- the group, so the latest recomputation of a group replaces the earlier ones, and a redelivered
-- CDR only causes a recomputation that yields the same numbers. Readers use FINAL. A group cannot
-- disappear on recomputation (cdr_facts only grows, and a CDR's copies share every grouped column).
--
-- `day` is the UTC day the session ended (cdr_facts.day) and is the unit of recomputation, so it
-- leads every key, also of location_hourly, whose `hour` is the hour the session started.
-- Runs on ClickHouse 18.16 and current ClickHouse (no TTL, no DateTime64, no window functions).

-- Which days received CDRs, and when (server clock). Only a set of days is kept here, so a view is
-- exact for it: a copy of a CDR adds nothing but a row saying its day was touched again.
CREATE TABLE IF NOT EXISTS rollup_touched_days (
  day Date,
  touched_at DateTime
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(touched_at)
ORDER BY (touched_at, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_touched_days_mv TO rollup_touched_days AS
SELECT DISTINCT toDate(end_ts) AS day, now() AS touched_at
FROM cdrs;

-- Where the recomputation got to: each run records the server time it started (days touched from
-- a margin before it on are redone next time) and the version it wrote.
CREATE TABLE IF NOT EXISTS rollup_runs (
  job String,
  watermark DateTime,
  version UInt64,
  days UInt32,
  finished_at DateTime
) ENGINE = ReplacingMergeTree(version)
ORDER BY job;

-- Revenue per CPO party, eMSP party, currency, credit flag and day. session_cost holds the
-- quantile state of the CDRs' total cost excl. VAT (the median revenue per session).
CREATE TABLE IF NOT EXISTS revenue_daily (
  day Date,
  country_code String,
  party_id String,
  emsp_country_code String,
  emsp_party_id String,
  currency String,
  credit UInt8,
  cdrs UInt64,
  revenue_excl Decimal(18, 4),
  revenue_incl Decimal(18, 4),
  energy_kwh Decimal(18, 6),
  session_cost AggregateFunction(quantiles(0.5), Float64),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, currency, emsp_country_code, emsp_party_id, credit);

-- Sessions (CDRs that are not credit CDRs), energy and charging time per location and hour of
-- session start (peak hours), per day of session end.
CREATE TABLE IF NOT EXISTS location_hourly (
  day Date,
  hour DateTime,
  country_code String,
  party_id String,
  location_id String,
  sessions UInt64,
  energy_kwh Decimal(18, 6),
  charging_hours Decimal(18, 6),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, hour, country_code, party_id, location_id);

-- Price per kWh (total cost excl. VAT / total energy) of sessions with energy, per tariff and per
-- location and day: count, sum (for the mean) and the quantile state (p10, median, p90).
CREATE TABLE IF NOT EXISTS ppk_tariff_daily (
  day Date,
  country_code String,
  party_id String,
  tariff_id String,
  currency String,
  cdrs UInt64,
  ppk_sum Float64,
  ppk AggregateFunction(quantiles(0.1, 0.5, 0.9), Float64),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, tariff_id, currency);

CREATE TABLE IF NOT EXISTS ppk_location_daily (
  day Date,
  country_code String,
  party_id String,
  location_id String,
  currency String,
  cdrs UInt64,
  ppk_sum Float64,
  ppk AggregateFunction(quantiles(0.1, 0.5, 0.9), Float64),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, location_id, currency);

-- Days stored before this migration: the first run (no watermark yet) recomputes all of them.
INSERT INTO rollup_touched_days (day, touched_at)
SELECT DISTINCT day, now() FROM cdr_facts;

-- Delivery backlog per receiver as sampled from the JetStream lanes by the pipelines role
-- (pipelines/backlog/) every DELIVERY_BACKLOG_SAMPLE_MS: messages waiting (pending plus in
-- flight), the age of the oldest, unreplayed dead letters, and the party's status then. `at` is
-- the sample's slot (the time rounded down to the interval), so two pipelines processes sampling
-- in the same slot collapse into one row.
CREATE TABLE IF NOT EXISTS delivery_backlog (
  at DateTime,
  receiver_country_code String,
  receiver_party_id String,
  status String,
  pending UInt64,
  oldest_age_s UInt32,
  dead_letters UInt64,
  sampled_at DateTime
) ENGINE = ReplacingMergeTree(sampled_at)
PARTITION BY toYYYYMM(at)
ORDER BY (at, receiver_country_code, receiver_party_id);
