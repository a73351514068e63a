-- The look-up tables of 0005 keep the token's type. A token is its country_code, party_id, uid
-- AND type (OCPI 2.2.1 mod_tokens; the hub keys tokens so everywhere else): an eMSP's RFID card
-- and its APP_USER token may share a uid, and their sessions may overlap without anything being
-- wrong. Without the type, the overlapping-sessions rule took them for one token and flagged them.
--
-- Rows stored before keep an empty type, which the rule takes for any type (pipelines/anomalies
-- rules.ts overlapFinding). Each new view is created before the old one is dropped, so no CDR
-- inserted meanwhile misses the look-up tables; one inserted while both exist has two copies of
-- equal version that collapse (the detector reads either). Runs on ClickHouse 18.16 and current
-- ClickHouse. Each view selects the columns in its table's order.
ALTER TABLE cdrs_by_session ADD COLUMN token_type String AFTER token_uid;

ALTER TABLE cdrs_by_token ADD COLUMN token_type String AFTER token_uid;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdrs_by_session_typed_mv TO cdrs_by_session AS
SELECT session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, token_type, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs;

DROP TABLE IF EXISTS cdrs_by_session_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS cdrs_by_token_typed_mv TO cdrs_by_token AS
SELECT token_uid, token_type, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE token_uid != '';

DROP TABLE IF EXISTS cdrs_by_token_mv;
