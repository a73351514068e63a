-- A CDR id is a CiString, and the detector now judges a CDR under one spelling of its id, so each
-- finding has one key. Before, a CDR that reached the stream under two spellings (IC-K1 and ic-k1:
-- `hub cdrs import` past the stream's dedupe window) was judged twice, and findings of the same
-- type about it stand under two keys: every dashboard panel and the high-value alert counted them
-- twice (their amount at risk too). Here they become one: in each group of standing findings of one
-- type about one CDR in any case (upper() folds a-z only, as ciKey in ocpi/ciString.ts), the first
-- detected stays (then the lowest key, byte order: the review items' migration
-- 20261205000000_review_items_id_spellings_merged.ts keeps the same one when the team has not
-- decided on another), and the others are withdrawn, not deleted, as the detector withdraws a
-- finding (0012): a copy with withdrawn_at and a reason naming the kept key, the same detected_at
-- so it lands in the same partition and wins the collapse. Readers already keep
-- `FINAL ... withdrawn_at = 0`; the Withdrawn findings panel shows what was merged and into what.
-- Safe to run again: a merged group has one standing finding left. Runs on ClickHouse 18.16 and
-- current ClickHouse; the columns are in the table's order, the new values under aliases of their own.
INSERT INTO anomalies (finding_key, type, severity, country_code, party_id, cdr_id, currency, amount_at_risk, evidence, accepted_at, detected_at, withdrawn_at, withdrawn_reason)
SELECT finding_key, type, severity, country_code, party_id, cdr_id, currency, amount_at_risk, evidence, accepted_at, detected_at, now() AS merged_at,
  concat('merged into ', kept_key, ': the same finding, recorded under another spelling of the CDR id') AS merged_reason
FROM (
  SELECT finding_key, type, severity, country_code, party_id, cdr_id, currency, amount_at_risk, evidence, accepted_at, detected_at,
    concat(type, '*', upper(country_code), '*', upper(party_id), '*', upper(cdr_id)) AS finding_ci
  FROM anomalies FINAL
  WHERE withdrawn_at = toDateTime(0) AND cdr_id != ''
) AS finding ALL INNER JOIN (
  SELECT concat(type, '*', upper(country_code), '*', upper(party_id), '*', upper(cdr_id)) AS finding_ci,
    argMin(finding_key, (detected_at, finding_key)) AS kept_key, uniqExact(finding_key) AS spellings
  FROM anomalies FINAL
  WHERE withdrawn_at = toDateTime(0) AND cdr_id != ''
  GROUP BY finding_ci
  HAVING spellings > 1
) AS merged_group USING finding_ci
WHERE finding_key != kept_key;
