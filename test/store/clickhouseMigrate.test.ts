// Migration runs that overlap — two `hub start` at once, `hub migrate` next to a start — take turns
// on a Postgres advisory lock: on fresh databases one run applies everything, the other nothing,
// and ClickHouse's schema_migrations (which has no lock of its own) records each migration once.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { envValue, parseConfig } from '../../src/config.ts';
import { migrateAll } from '../../src/bootstrap.ts';
import { createClickHouse, dropClickHouseDatabase, splitStatements } from '../../src/store/clickhouse.ts';
import { dropDatabase } from '../../src/store/db.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const chMigrations = readdirSync(path.join(root, 'migrations/clickhouse')).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
const pgMigrations = readdirSync(path.join(root, 'migrations')).filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f)).sort();

/** The tables and views the ClickHouse migrations leave behind, replayed from their CREATE and DROP statements. */
function expectedTables(): string[] {
  const tables = new Set(['schema_migrations']);
  for (const file of chMigrations) {
    for (const statement of splitStatements(readFileSync(path.join(root, 'migrations/clickhouse', file), 'utf8'))) {
      const created = /^CREATE\s+(?:TABLE|(?:MATERIALIZED\s+)?VIEW)\s+IF\s+NOT\s+EXISTS\s+(\w+)/i.exec(statement);
      const dropped = /^DROP\s+(?:TABLE|VIEW)\s+IF\s+EXISTS\s+(\w+)/i.exec(statement);
      if (created) tables.add(created[1]);
      if (dropped) tables.delete(dropped[1]);
    }
  }
  return [...tables].sort();
}

/** Fresh names for a Postgres and a ClickHouse database nothing has created yet. */
function freshNamespace() {
  const run = inject('testEnv');
  const suffix = `mig${randomBytes(3).toString('hex')}`;
  const database = new URL(run.DATABASE_URL);
  database.pathname = `${database.pathname}_${suffix}`;
  const env = { DATABASE_URL: database.toString(), CLICKHOUSE_DATABASE: `${run.CLICKHOUSE_DATABASE}_${suffix}` };
  return { env, config: parseConfig({ ...run, ...env }) };
}

const created: ReturnType<typeof freshNamespace>[] = [];
afterAll(async () => {
  for (const { config } of created) {
    await dropClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE).catch(() => undefined);
    await dropDatabase(config.DATABASE_URL).catch(() => undefined);
  }
});

/** `hub migrate` as an operator types it, against the given databases. */
function hubMigrate(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const full = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv'), ...env };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), ['migrate'], { cwd: root, env: full, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('migrations run at the same time', () => {
  it('on fresh databases: one run applies every migration, the other waits and applies none; each is recorded once and every table exists', async () => {
    const ns = freshNamespace();
    created.push(ns);
    const runs = await Promise.all([migrateAll(ns.config), migrateAll(ns.config), migrateAll(ns.config)]);

    const clickhouse = runs.map((r) => r.clickhouse);
    expect(clickhouse.filter((applied) => applied.length > 0)).toEqual([chMigrations]);
    expect(clickhouse.filter((applied) => applied.length === 0)).toHaveLength(2);
    const postgres = runs.map((r) => r.postgres);
    expect(postgres.filter((applied) => applied.length > 0)).toEqual([pgMigrations]);

    const ch = createClickHouse(ns.config.CLICKHOUSE_URL, ns.config.CLICKHOUSE_DATABASE);
    try {
      const recorded = await (await ch.query({ query: 'SELECT name, count() AS times FROM schema_migrations GROUP BY name ORDER BY name', format: 'JSONEachRow' })).json<{ name: string; times: string }>();
      expect(recorded).toEqual(chMigrations.map((name) => ({ name, times: '1' })));
      const tables = await (await ch.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' })).json<{ name: string }>();
      expect(tables.map((t) => t.name)).toEqual(expectedTables());
      // 0007 adds a column: applied twice it would have failed; applied once the column is there.
      const columns = await (await ch.query({ query: "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'validation_findings' AND name = 'rule'", format: 'JSONEachRow' })).json();
      expect(columns).toHaveLength(1);
    } finally {
      await ch.close();
    }

    // And `hub migrate` afterwards has nothing left to do, and says so.
    const again = await hubMigrate(ns.env);
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('postgres: up to date\nclickhouse: up to date\n');
  }, 120_000);
});
