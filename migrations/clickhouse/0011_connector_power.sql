-- What the impossible-energy rule needs of a connector (power_type, max_voltage, max_amperage,
-- max_electric_power), from PUTs and PATCHes alike. `connectors` holds whole connectors from PUTs
-- only: a PATCH carries only what changed, and a row of it there would zero the rest. Here each
-- row says which of the four fields it carries (has_*); a PUT carries all four (absent ones as 0:
-- unknown), a PATCH those in its body. The rule reads each field's latest value by last_updated
-- among the rows that carry it (argMaxIf; pipelines/anomalies/queries.ts locationFacts). Rows of
-- the same connector and last_updated collapse (a redelivery, a location PUT sent again).
-- Runs on ClickHouse 18.16 and current ClickHouse.
CREATE TABLE IF NOT EXISTS connector_power (
  country_code String,
  party_id String,
  location_id String,
  evse_uid String,
  connector_id String,
  has_power_type UInt8,
  power_type String,
  has_max_voltage UInt8,
  max_voltage UInt32,
  has_max_amperage UInt8,
  max_amperage UInt32,
  has_max_electric_power UInt8,
  max_electric_power UInt32,
  last_updated DateTime,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (country_code, party_id, location_id, evse_uid, connector_id, last_updated);

-- The connectors stored so far, as the PUTs they came from.
INSERT INTO connector_power (country_code, party_id, location_id, evse_uid, connector_id, has_power_type, power_type, has_max_voltage, max_voltage, has_max_amperage, max_amperage, has_max_electric_power, max_electric_power, last_updated, ingested_at)
SELECT country_code, party_id, location_id, evse_uid, connector_id, 1, power_type, 1, max_voltage, 1, max_amperage, 1, max_electric_power, last_updated, ingested_at
FROM connectors;
