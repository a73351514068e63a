-- Charging hours are the time a session charged: OCPI total_time (the whole time connected) minus
-- total_parking_time (the part not charging; 0 when the CDR has none). cdr_facts.charging_hours
-- held total_time, so "charging hours" on the Revenue and utilisation dashboard counted parking as
-- charging. The time connected stays available as the new connected_hours (total_time), in
-- cdr_facts and in location_hourly, where the dashboard shows it as time connected. A CDR whose
-- parking time exceeds its total time (malformed) charged 0 hours, never a negative amount.
--
-- The new view is created before the old one is dropped, so no CDR inserted meanwhile misses
-- cdr_facts; one inserted while both exist has two rows of equal version. Then every stored CDR
-- is written to cdr_facts again with the new meaning and the version (ingested_at) it had: of
-- rows with equal version the last inserted wins, under FINAL and on merges (18.16 and current
-- ClickHouse), so every CDR reads with the new meaning from here on, and the old rows go at the
-- next merge. Readers that take any() of cdr_facts (drift) read neither column.
--
-- location_hourly rows written before keep the old connected time in charging_hours and 0 in
-- connected_hours until the next rollup run (ANALYTICS_ROLLUP_INTERVAL_MS), which recomputes every
-- day: all of them are marked touched at the end. Runs on ClickHouse 18.16 and current ClickHouse.
ALTER TABLE cdr_facts ADD COLUMN connected_hours Decimal(18, 6) AFTER charging_hours;

ALTER TABLE location_hourly ADD COLUMN connected_hours Decimal(18, 6) AFTER charging_hours;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdr_facts_charging_mv TO cdr_facts AS
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
  if(total_parking_time < total_time, total_time - total_parking_time, toDecimal64(0, 6)) AS charging_hours,
  total_time AS connected_hours,
  accepted_at,
  ingested_at
FROM cdrs;

DROP TABLE IF EXISTS cdr_facts_mv;

-- Every CDR stored so far, with the new meaning (wins over its old row: same version, inserted later).
INSERT INTO cdr_facts (day, country_code, party_id, id, emsp_country_code, emsp_party_id, currency, credit, start_hour, location_id, tariff_id, revenue_excl, revenue_incl, energy_kwh, charging_hours, connected_hours, accepted_at, ingested_at)
SELECT toDate(end_ts, 'UTC'), country_code, party_id, id, token_country_code, token_party_id, currency, credit, toStartOfHour(start_ts, 'UTC'), location_id, tariff_id,
  total_cost_excl, total_cost_incl, total_energy, if(total_parking_time < total_time, total_time - total_parking_time, toDecimal64(0, 6)), total_time, accepted_at, ingested_at
FROM cdrs;

INSERT INTO rollup_touched_days (day, touched_at)
SELECT DISTINCT day, now() FROM cdr_facts;
