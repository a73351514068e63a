// Building the process's dependencies and preparing the services it runs on.
import type { Config } from './config.ts';
import type { HubDeps } from './deps.ts';
import { createDb, dropDatabase, ensureDatabase, migrateLatest } from './store/db.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from './store/clickhouse.ts';
import { createLogger, type Logger } from './logger.ts';
import { deriveTokenKeys } from './partners/tokenCrypto.ts';
import { connectBus, deleteStreams, ensureStreams, ocpiStreamMaxAgeDays } from './bus/nats.ts';
import { PartyDirectory } from './hub/partyDirectory.ts';
import { CdrWriter } from './store/cdrWriter.ts';

export async function buildDeps(config: Config, log?: Logger, name = 'ocpi-hub'): Promise<HubDeps> {
  const bus = await connectBus(config.NATS_URL, config.NATS_STREAM_PREFIX, name);
  await ensureStreams(bus, { replicas: config.NATS_REPLICAS, ocpiMaxAgeDays: ocpiStreamMaxAgeDays(config.DELIVERY_HORIZON_HOURS) });
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

/**
 * Creates the databases when missing and applies every pending migration (Postgres and
 * ClickHouse). Safe to run in several processes at once: they take turns on Postgres advisory
 * locks, and a run that comes second applies nothing.
 */
export async function migrateAll(config: Config): Promise<{ postgres: string[]; clickhouse: string[] }> {
  await ensureDatabase(config.DATABASE_URL).catch((err) => {
    // Another run created it between our look and our CREATE DATABASE: there it is.
    if (!['23505', '42P04'].includes((err as { code?: string }).code ?? '')) throw err;
  });
  // Two connections: one holds the lock, the migrations run on the other.
  const db = createDb(config.DATABASE_URL, { max: 2 });
  try {
    // knex's own lock makes a run that finds it taken fail ("Migration table is already locked")
    // rather than wait; runs started together (two `hub start`) take turns on this one instead.
    const postgres = await db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['migrations:postgres']);
      return migrateLatest(db);
    });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    try {
      // Postgres lends ClickHouse its lock: concurrent runs (two starts, migrate next to a start) take turns.
      return { postgres, clickhouse: await migrateClickHouse(clickhouse, { db }) };
    } finally {
      await clickhouse.close();
    }
  } finally {
    await db.destroy();
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
