// Building the process's dependencies and preparing the services it runs on.
import type { Config } from './config.ts';
import type { HubDeps } from './deps.ts';
import { createDb, ensureDatabase, migrateLatest } from './store/db.ts';
import { createClickHouse, ensureClickHouseDatabase, migrateClickHouse } from './store/clickhouse.ts';
import { createLogger, type Logger } from './logger.ts';
import { deriveTokenKeys } from './partners/tokenCrypto.ts';

export function buildDeps(config: Config, log?: Logger): HubDeps {
  return {
    config,
    db: createDb(config.DATABASE_URL),
    log: log ?? createLogger({ level: config.LOG_LEVEL }),
    keys: deriveTokenKeys(config.TOKEN_ENCRYPTION_KEY),
  };
}

/** Creates the databases when missing and applies every pending migration (Postgres and ClickHouse). */
export async function migrateAll(config: Config): Promise<{ postgres: string[]; clickhouse: string[] }> {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, { max: 1 });
  let postgres: string[];
  try {
    postgres = await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  try {
    return { postgres, clickhouse: await migrateClickHouse(clickhouse) };
  } finally {
    await clickhouse.close();
  }
}
