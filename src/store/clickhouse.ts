// ClickHouse connection and migrations (migrations/clickhouse/NNNN_name.sql). The server here is
// 18.16, so: no server-side query parameters — values go through `quote` — and statements are
// sent one at a time (split on `;` at line ends).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

const migrationsDir = fileURLToPath(new URL('../../migrations/clickhouse/', import.meta.url));

export function createClickHouse(url: string, database: string): ClickHouseClient {
  // The client's own console logging is off: callers decide how a failed request is reported
  // (the ingester holds its batch and logs once through pino).
  return createClient({ url, database, clickhouse_settings: {}, request_timeout: 60_000, log: { level: ClickHouseLogLevel.OFF } });
}

/** Escapes a value for a ClickHouse SQL string literal. The only way values enter our SQL. */
export function quote(value: string | number | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('non-finite number in SQL');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\0/g, '\\0')}'`;
}

export function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return name;
}

export async function ensureClickHouseDatabase(url: string, database: string): Promise<void> {
  const root = createClient({ url, request_timeout: 30_000 });
  try {
    await root.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(database)}` });
  } finally {
    await root.close();
  }
}

export async function dropClickHouseDatabase(url: string, database: string): Promise<void> {
  const root = createClient({ url, request_timeout: 30_000 });
  try {
    await root.command({ query: `DROP DATABASE IF EXISTS ${identifier(database)}` });
  } finally {
    await root.close();
  }
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export async function migrateClickHouse(client: ClickHouseClient): Promise<string[]> {
  await client.command({
    query: 'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = TinyLog',
  });
  const rows = await (await client.query({ query: 'SELECT name FROM schema_migrations', format: 'JSONEachRow' })).json<{ name: string }>();
  const applied = new Set(rows.map((r) => r.name));
  const files = readdirSync(migrationsDir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    for (const statement of splitStatements(readFileSync(path.join(migrationsDir, file), 'utf8'))) {
      await client.command({ query: statement });
    }
    await client.insert({ table: 'schema_migrations', values: [{ name: file }], format: 'JSONEachRow' });
    done.push(file);
  }
  return done;
}
