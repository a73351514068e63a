-- A finding the data no longer supports is withdrawn, not deleted: party drift judges a day again
-- when late CDRs arrive for it (pipelines/anomalies/drift.ts), and an outage that a late batch
-- filled in is withdrawn. The withdrawal is a new row for the same finding key, a copy of the
-- finding with withdrawn_at and withdrawn_reason set and the same detected_at, so it lands in the
-- same partition and wins the collapse (equal versions: the last inserted row is kept, on merges
-- and under FINAL, on 18.16 and current ClickHouse). A finding supported again is written once
-- more with withdrawn_at 0. Readers keep `FROM anomalies FINAL WHERE withdrawn_at = 0` for what
-- stands (FINAL collapses before WHERE filters). Rows written before are not withdrawn.
ALTER TABLE anomalies ADD COLUMN withdrawn_at DateTime DEFAULT toDateTime(0) AFTER detected_at, ADD COLUMN withdrawn_reason String AFTER withdrawn_at;
