// One knex instance per process, plus the migration runner. Migrations are the only way the
// schema changes; they live in migrations/*.ts and are loaded by our own source so that
// TypeScript files work under tsx without knex guessing at module formats.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Postgres numeric and bigint come back as strings: money is never turned into a binary float.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => value);

export type Db = Knex;

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

export function createDb(databaseUrl: string, pool: { min?: number; max?: number } = {}): Db {
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: pool.min ?? 0, max: pool.max ?? 10 },
  });
}

/** Creates the database named in the URL when it does not exist (local and test setups). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL names an unusual database "${name}"; create it yourself`);
  url.pathname = '/postgres';
  const admin = createDb(url.toString(), { max: 1 });
  try {
    const found = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
    if (found.rows.length === 0) await admin.raw(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = createDb(url.toString(), { max: 1 });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.destroy();
  }
}

const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return readdirSync(migrationsDir)
      .filter((file) => /^\d{14}_[a-z0-9_]+\.ts$/.test(file))
      .sort();
  },
  getMigrationName(file) {
    return file;
  },
  async getMigration(file) {
    return import(pathToFileURL(path.join(migrationsDir, file)).href);
  },
};

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}
