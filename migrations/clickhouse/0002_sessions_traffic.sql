-- Sessions as they evolve: one row per accepted PUT or PATCH (PATCH columns are NULL when the
-- PATCH did not carry them). The latest state is argMax(column, last_updated) per session; a
-- redelivered push has the same (session, last_updated, stream_seq) and collapses.
CREATE TABLE IF NOT EXISTS session_events (
  country_code String,
  party_id String,
  session_id String,
  event String,
  last_updated DateTime,
  status Nullable(String),
  start_ts Nullable(DateTime),
  end_ts Nullable(DateTime),
  kwh Nullable(Float64),
  token_uid Nullable(String),
  location_id Nullable(String),
  evse_uid Nullable(String),
  connector_id Nullable(String),
  currency Nullable(String),
  total_cost_excl Nullable(Decimal(18, 4)),
  accepted_at DateTime,
  ingested_at DateTime,
  stream_seq UInt64
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(accepted_at)
ORDER BY (country_code, party_id, session_id, last_updated, stream_seq);

-- Hub deliveries (published by the delivery worker on <p>.traffic.delivery). Keyed by the
-- traffic stream's sequence, so a redelivered fact collapses.
CREATE TABLE IF NOT EXISTS deliveries (
  at DateTime,
  module String,
  event String,
  sender_country_code String,
  sender_party_id String,
  receiver_country_code String,
  receiver_party_id String,
  outcome String,
  attempts UInt32,
  latency_ms UInt32,
  status_code Int32,
  ingested_at DateTime,
  stream_seq UInt64
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(at)
ORDER BY (at, stream_seq);

-- What the detector's schema check found wrong with an accepted CDR (plain-words path/message).
CREATE TABLE IF NOT EXISTS validation_findings (
  detected_at DateTime,
  module String,
  country_code String,
  party_id String,
  object_id String,
  path String,
  message String,
  severity String
) ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(detected_at)
ORDER BY (module, country_code, party_id, object_id, path);

-- Billing anomalies, one row per finding key (type + subject); re-detection collapses.
CREATE TABLE IF NOT EXISTS anomalies (
  finding_key String,
  type String,
  severity String,
  country_code String,
  party_id String,
  cdr_id String,
  currency String,
  amount_at_risk Float64,
  evidence String,
  accepted_at DateTime,
  detected_at DateTime
) ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(detected_at)
ORDER BY (type, finding_key);
