// ClickHouse connection and migrations (migrations/clickhouse/NNNN_name.sql). The server here is
// 18.16, so: no server-side query parameters — values go through `quote` — and statements are
// sent one at a time (split on `;` at line ends). Concurrent migration runs are serialized by a
// Postgres advisory lock (see migrateClickHouse).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Db } from './db.ts';

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

export interface ClickHouseMigrateOptions {
  /**
   * The process's Postgres: while migrating, a transaction on it holds an advisory lock named
   * after the ClickHouse database, so runs in several processes (two `hub start`, `hub migrate`
   * next to a start) take turns and the later one finds everything applied — ClickHouse has no
   * lock `schema_migrations` (TinyLog) could use. Every process that may migrate at the same time
   * as another must pass it; without it the run is unguarded (a test's private database). The
   * transaction holds one connection for the run; nothing else of the run uses Postgres.
   */
  db?: Db;
}

/** Applies the pending migrations in order and returns the names of those it applied. */
export async function migrateClickHouse(client: ClickHouseClient, options: ClickHouseMigrateOptions = {}): Promise<string[]> {
  const { db } = options;
  if (!db) return applyPending(client);
  const [{ database }] = await (await client.query({ query: 'SELECT currentDatabase() AS database', format: 'JSONEachRow' })).json<{ database: string }>();
  // A transaction-scoped lock: released by commit or rollback, and by Postgres when this process
  // dies mid-run, so a crashed migration never leaves the others waiting.
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`migrations:clickhouse:${database}`]);
    return applyPending(client);
  });
}

async function applyPending(client: ClickHouseClient): Promise<string[]> {
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
