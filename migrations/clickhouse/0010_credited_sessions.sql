-- Sessions and energy count each charging session once. A credit CDR repeats the CDR it credits
-- (same energy and times, costs negated) and usually comes with a corrected re-issue, so counting
-- every non-credit CDR counted the session twice (original and re-issue) and summing all CDRs
-- counted its energy three times. A session stands when its CDR is not a credit CDR and no credit
-- CDR names it (credit_reference_id, same CPO party). Revenue still sums every CDR: the credit
-- cancels the original's, and what remains is the re-issue's.
--
-- The rollups (pipelines/rollups/queries.ts) keep their groups, which are fixed by what a CDR
-- carries (a group never empties when a credit arrives later), and count inside them only the
-- sessions that stand: revenue_daily.sessions (new), energy_kwh, session_cost; location_hourly
-- sessions, energy_kwh, charging_hours (its groups now include credit CDRs' location hours, with
-- nothing standing in them); ppk_*_daily cdrs, ppk_sum, ppk (a price of a credited original is NaN
-- in the quantile state, which quantiles skip). Runs on ClickHouse 18.16 and current ClickHouse.

-- Which CDR each credit CDR credits, kept for good (small: one row per credit CDR). A copy of a
-- credit CDR adds a row that collapses; the set is what matters. touched_at (server clock) lets a
-- rollup run recompute the day of an original whose credit came since (pipelines/rollups).
CREATE TABLE IF NOT EXISTS cdr_credits (
  country_code String,
  party_id String,
  credit_reference_id String,
  id String,
  touched_at DateTime
) ENGINE = ReplacingMergeTree()
ORDER BY (country_code, party_id, credit_reference_id, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_credits_mv TO cdr_credits AS
SELECT country_code, party_id, credit_reference_id, id, now() AS touched_at
FROM cdrs
WHERE credit = 1;

INSERT INTO cdr_credits (country_code, party_id, credit_reference_id, id, touched_at)
SELECT country_code, party_id, credit_reference_id, id, now()
FROM cdrs
WHERE credit = 1;

-- revenue_daily gains `sessions`; the others keep their columns. All are emptied (their numbers
-- counted credited sessions) and every day waits for the next run.
DROP TABLE IF EXISTS revenue_daily;

CREATE TABLE IF NOT EXISTS revenue_daily (
  day Date,
  country_code String,
  party_id String,
  emsp_country_code String,
  emsp_party_id String,
  currency String,
  credit UInt8,
  cdrs UInt64,
  sessions UInt64,
  revenue_excl Decimal(18, 4),
  revenue_incl Decimal(18, 4),
  energy_kwh Decimal(18, 6),
  session_cost AggregateFunction(quantiles(0.5), Float64),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, country_code, party_id, currency, emsp_country_code, emsp_party_id, credit);

TRUNCATE TABLE location_hourly;
TRUNCATE TABLE ppk_tariff_daily;
TRUNCATE TABLE ppk_location_daily;

INSERT INTO rollup_touched_days (day, touched_at)
SELECT DISTINCT day, now() FROM cdr_facts;
