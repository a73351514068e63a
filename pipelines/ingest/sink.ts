// Writes one batch's rows to ClickHouse as TabSeparated text, every table in one request of its
// own. Idempotent by design rather than by a check before inserting: every table is a replacing
// table keyed by the object's identity, and every reader deduplicates (FINAL, argMax or LIMIT 1
// BY), so a batch written twice — a retry after a partial failure, a redelivery, two ingesters
// holding copies of the same CDR at once — changes nothing anyone reads. No insert-time
// aggregation reads these tables (migrations/clickhouse/0004_cdr_facts.sql says why).
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { encodeRows, type TableText } from './tsv.ts';
import type { Rows } from './transform.ts';

export async function insertText(client: ClickHouseClient, text: TableText): Promise<void> {
  if (text.rows === 0) return;
  await client.insert({
    table: text.table,
    columns: text.columns as [string, ...string[]],
    format: 'TabSeparated',
    values: Readable.from(text.chunks, { objectMode: false }),
  });
}

/**
 * Inserts the tables one after the other, CDRs last, so a reader that sees a CDR also sees its
 * charging periods. (Concurrency comes from overlapping batches; see ../batchConsumer.ts.)
 */
export async function insertTexts(client: ClickHouseClient, texts: readonly TableText[]): Promise<void> {
  for (const text of texts) await insertText(client, text);
}

export interface WriteResult {
  cdrs: number;
}

/** Safe to call again with the same rows after any failure. */
export async function writeRows(client: ClickHouseClient, rows: Rows): Promise<WriteResult> {
  await insertTexts(client, encodeRows(rows));
  return { cdrs: rows.cdrs.length };
}
