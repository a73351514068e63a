-- validation_findings rows now come from ingestion: one per business-rule finding the hub flagged
-- when it accepted a CDR (carried in the CDR's message, see src/bus/messages.ts). Two findings on
-- the same field (price_mismatch and totals_mismatch are both about total_cost) would collapse
-- under the old key, so the rule names the finding and ends the sorting key. A column added in the
-- same ALTER can be appended to the sorting key (metadata only; 18.16 and current ClickHouse).
-- Rows written before have rule ''. Readers deduplicate with FINAL.
ALTER TABLE validation_findings ADD COLUMN rule String AFTER object_id, MODIFY ORDER BY (module, country_code, party_id, object_id, path, rule);
