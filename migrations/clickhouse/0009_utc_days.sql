-- Days and hours in UTC whatever the server's time zone. Columns are plain DateTime (unix seconds),
-- so toDate(x) and toStartOfHour(x) without a zone use the server's: on a server not in UTC the
-- views of 0004 and 0006 filed a CDR under its local day (and, in a zone off by a half hour, a
-- local start hour), while the rollups, the drift rule (UTC days in JS) and the dashboards promise
-- UTC. Every such call now names 'UTC' (ClickHouse 18.16 and current ClickHouse take the zone as
-- the last argument).
--
-- cdr_facts is rebuilt from `cdrs`: a CDR's day leads its key, so a row filed under a local day
-- would not collapse with its UTC copy. Every statement can run again (a run that failed half way
-- is repeated whole). While the copy runs, cdr_facts holds only part of the CDRs; the rollup
-- tables are emptied and every day is marked touched at the end, so the next rollup run
-- recomputes all of them from the complete copy.
DROP TABLE IF EXISTS cdr_facts_mv;
DROP TABLE IF EXISTS rollup_touched_days_mv;

TRUNCATE TABLE cdr_facts;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_facts_mv TO cdr_facts AS
SELECT
  toDate(end_ts, 'UTC') AS day,
  country_code,
  party_id,
  id,
  token_country_code AS emsp_country_code,
  token_party_id AS emsp_party_id,
  currency,
  credit,
  toStartOfHour(start_ts, 'UTC') AS start_hour,
  location_id,
  tariff_id,
  total_cost_excl AS revenue_excl,
  total_cost_incl AS revenue_incl,
  total_energy AS energy_kwh,
  total_time AS charging_hours,
  accepted_at,
  ingested_at
FROM cdrs;

CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_touched_days_mv TO rollup_touched_days AS
SELECT DISTINCT toDate(end_ts, 'UTC') AS day, now() AS touched_at
FROM cdrs;

-- Every CDR stored so far (one inserted meanwhile by the view collapses with its copy here).
INSERT INTO cdr_facts (day, country_code, party_id, id, emsp_country_code, emsp_party_id, currency, credit, start_hour, location_id, tariff_id, revenue_excl, revenue_incl, energy_kwh, charging_hours, accepted_at, ingested_at)
SELECT toDate(end_ts, 'UTC'), country_code, party_id, id, token_country_code, token_party_id, currency, credit, toStartOfHour(start_ts, 'UTC'), location_id, tariff_id,
  total_cost_excl, total_cost_incl, total_energy, total_time, accepted_at, ingested_at
FROM cdrs;

-- Groups filed under local days would outlive the recomputation (it rewrites the groups it finds,
-- and those are gone): the rollups start empty, and every day waits for the next run.
TRUNCATE TABLE revenue_daily;
TRUNCATE TABLE location_hourly;
TRUNCATE TABLE ppk_tariff_daily;
TRUNCATE TABLE ppk_location_daily;

INSERT INTO rollup_touched_days (day, touched_at)
SELECT DISTINCT day, now() FROM cdr_facts;
