-- The HTTP status a receiver answered a delivery or a forwarded call with (0: no HTTP answer —
-- a timeout or a refused connection). Facts carried it already; the table dropped it, so a 500 and
-- a 429 looked the same. Rows written before have 0.
ALTER TABLE deliveries ADD COLUMN http_status UInt16 DEFAULT 0 AFTER status_code;
