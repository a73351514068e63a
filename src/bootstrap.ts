// Building the process's dependencies and preparing the services it runs on.
import type { Config } from './config.ts';
import type { HubDeps } from './deps.ts';
import { createDb, dropDatabase, ensureDatabase, migrateLatest } from './store/db.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from './store/clickhouse.ts';
import { createLogger, type Logger } from './logger.ts';
import { deriveTokenKeys } from './partners/tokenCrypto.ts';
import { connectBus, deleteStreams, ensureStreams } from './bus/nats.ts';
import { PartyDirectory } from './hub/partyDirectory.ts';
import { CdrWriter } from './store/cdrWriter.ts';

export async function buildDeps(config: Config, log?: Logger, name = 'ocpi-hub'): Promise<HubDeps> {
  const bus = await connectBus(config.NATS_URL, config.NATS_STREAM_PREFIX, name);
  await ensureStreams(bus, { replicas: config.NATS_REPLICAS, ocpiMaxAgeDays: Math.ceil(config.DELIVERY_HORIZON_HOURS / 24) + 1 });
  const db = createDb(config.DATABASE_URL);
  return {
    config,
    db,
    directory: new PartyDirectory(db),
    cdrWriter: new CdrWriter(db),
    log: log ?? createLogger({ level: config.LOG_LEVEL }),
    keys: deriveTokenKeys(config.TOKEN_ENCRYPTION_KEY),
    bus,
  };
}

export async function closeDeps(deps: HubDeps): Promise<void> {
  await deps.cdrWriter.flushAll();
  await deps.bus.close();
  await deps.db.destroy();
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

/**
 * Removes everything a namespace holds: the Postgres database, the ClickHouse database and the
 * NATS streams of its prefix. Used by test runs, benchmarks and the demo, which each work in a
 * namespace of their own.
 */
export async function dropNamespace(config: Config): Promise<void> {
  await dropDatabase(config.DATABASE_URL);
  await dropClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  const bus = await connectBus(config.NATS_URL, config.NATS_STREAM_PREFIX, 'namespace-cleanup');
  try {
    await deleteStreams(bus);
  } finally {
    await bus.close();
  }
}
