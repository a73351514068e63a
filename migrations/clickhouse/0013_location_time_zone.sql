-- A location's time zone, from PUTs and PATCHes alike: the price rule recomputes a CDR's price in
-- the location's local time, and a CPO may correct a time zone with a Location PATCH alone.
-- `locations` holds whole locations from PUTs only (a PATCH row there would blank the fields it
-- lacks once rows collapse). The rule reads the latest time zone by last_updated (argMax;
-- pipelines/anomalies/queries.ts locationFacts). Rows of the same location and last_updated
-- collapse (a redelivery, a PUT sent again). Runs on ClickHouse 18.16 and current ClickHouse.
CREATE TABLE IF NOT EXISTS location_time_zone (
  country_code String,
  party_id String,
  id String,
  time_zone String,
  last_updated DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (country_code, party_id, id, last_updated);

-- The time zones stored so far, as the PUTs they came from.
INSERT INTO location_time_zone (country_code, party_id, id, time_zone, last_updated, ingested_at)
SELECT country_code, party_id, id, time_zone, last_updated, ingested_at
FROM locations
WHERE time_zone != '';
