-- A charging session's key (pipelines/ingest/transform.ts sessionKey) is case-insensitive now:
-- Session.id, EVSE uid and Token uid are CiStrings, so a re-issue or a credit CDR spelling the
-- session id `s1` where its original said `S1` is the same session (the duplicate-session rule
-- compares them, and a credit finds its original in the session's group). New rows carry the key
-- with its ASCII letters upper-cased (ciKey: a-z only, as upper() here). The detector looks
-- sessions up in cdrs_by_session by that key, so rows stored before get a copy under it; the old
-- copy stays, under a key nobody asks for any more. The detector reads session_key upper()-ed from
-- both look-up tables (pipelines/anomalies/queries.ts), so cdrs_by_token needs nothing. Runs on
-- ClickHouse 18.16 and current ClickHouse; the columns are in the table's order. The new key has
-- an alias of its own: named session_key, it would stand for upper() in the WHERE too.
INSERT INTO cdrs_by_session (session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, token_type, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy)
SELECT upper(session_key) AS upper_session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, token_type, start_ts, end_ts, credit,
  credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy
FROM cdrs_by_session
WHERE session_key != upper(session_key);
