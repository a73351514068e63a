-- Token.uid is a CiString: a CPO may bill the card `abc123` in one CDR and `ABC123` in the next,
-- and the overlapping-sessions rule must see one token. The detector asks cdrs_by_token by uid, on
-- its sorting key, so the table holds uids with their ASCII letters upper-cased (upper() folds a-z
-- only, as ciKey in ocpi/ciString.ts). The new view is created before the old one is dropped, so
-- no CDR inserted meanwhile misses the table; one inserted while both exist has two copies that
-- the detector collapses. Rows stored before get a copy under the upper()-ed uid; the old copy
-- stays, under a uid nobody asks for any more. Runs on ClickHouse 18.16 and current ClickHouse.
-- The view inserts by column name; the copy selects the columns in the table's order, the new uid
-- under an alias of its own (named token_uid, it would stand for upper() in the WHERE too).
CREATE MATERIALIZED VIEW IF NOT EXISTS cdrs_by_token_ci_mv TO cdrs_by_token AS
SELECT upper(token_uid) AS token_uid, token_type, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, bitNot(stream_seq) AS first_copy
FROM cdrs
WHERE token_uid != '';

DROP TABLE IF EXISTS cdrs_by_token_typed_mv;

INSERT INTO cdrs_by_token (token_uid, token_type, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy)
SELECT upper(token_uid) AS upper_token_uid, token_type, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy
FROM cdrs_by_token
WHERE token_uid != upper(token_uid);
