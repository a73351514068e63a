// Writes one batch's rows to ClickHouse. Order matters for "counted once": everything a CDR owns
// (charging periods) and everything the detector looks up (tariffs, locations, connectors) is
// inserted first, the CDR rows last. CDR keys already stored are dropped before inserting, so the
// materialized views over `cdrs` never see a CDR twice; a batch retried after a partial failure
// finds its CDRs either absent (all rows written again, collapsing in ReplacingMergeTrees) or
// present with their periods.
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from '../../src/store/clickhouse.ts';
import { cdrKey, withoutKnownCdrs, type CdrRow, type Rows } from './transform.ts';

const KEY_CHUNK = 2000;

export async function knownCdrKeys(client: ClickHouseClient, cdrs: readonly CdrRow[]): Promise<Set<string>> {
  const known = new Set<string>();
  const unique = [...new Map(cdrs.map((c) => [cdrKey(c), c])).values()];
  const chunks: CdrRow[][] = [];
  for (let i = 0; i < unique.length; i += KEY_CHUNK) chunks.push(unique.slice(i, i + KEY_CHUNK));
  await Promise.all(
    chunks.map(async (chunk) => {
      const tuples = chunk.map((c) => `(${quote(c.country_code)},${quote(c.party_id)},${quote(c.id)})`).join(',');
      const result = await client.query({
        query: `SELECT country_code, party_id, id FROM cdrs WHERE (country_code, party_id, id) IN (${tuples})`,
        format: 'JSONEachRow',
        clickhouse_settings: { max_query_size: '16777216' },
      });
      for (const row of await result.json<{ country_code: string; party_id: string; id: string }>()) known.add(cdrKey(row));
    }),
  );
  return known;
}

async function insert(client: ClickHouseClient, table: string, values: readonly object[]): Promise<void> {
  if (values.length === 0) return;
  await client.insert({ table, values: values as object[], format: 'JSONEachRow' });
}

export interface WriteResult {
  cdrs: number;
  duplicateCdrs: number;
}

/** Idempotent: safe to call again with the same rows after any failure. */
export async function writeRows(client: ClickHouseClient, rows: Rows): Promise<WriteResult> {
  const known = rows.cdrs.length ? await knownCdrKeys(client, rows.cdrs) : new Set<string>();
  const fresh = withoutKnownCdrs(rows, known);
  await Promise.all([
    insert(client, 'cdr_charging_periods', fresh.periods),
    insert(client, 'tariffs', fresh.tariffs),
    insert(client, 'locations', fresh.locations),
    insert(client, 'connectors', fresh.connectors),
    insert(client, 'session_events', fresh.sessionEvents),
    insert(client, 'deliveries', fresh.deliveries),
  ]);
  await insert(client, 'cdrs', fresh.cdrs);
  return { cdrs: fresh.cdrs.length, duplicateCdrs: rows.cdrs.length - fresh.cdrs.length };
}
