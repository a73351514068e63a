// A namespace of a test file's own (Postgres database, ClickHouse database, NATS stream prefix),
// migrated, for tests whose subject acts on everything in its database (the worker's refund
// retries, reminders run at a far-off date) and so would act on other files' data in the run's.
import { inject } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { dropNamespace, migrateAll } from '../../src/bootstrap.ts';

export interface OwnNamespace {
  /** The variables that name it, to pass as overrides (e.g. to startTestHub). */
  env: { DATABASE_URL: string; CLICKHOUSE_DATABASE: string; NATS_STREAM_PREFIX: string };
  drop(): Promise<void>;
}

/** `suffix`: letters, unique among the run's test files. */
export async function ownNamespace(suffix: string): Promise<OwnNamespace> {
  const run = inject('testEnv');
  const database = new URL(run.DATABASE_URL);
  database.pathname = `${database.pathname}_${suffix}`;
  const env = { DATABASE_URL: database.toString(), CLICKHOUSE_DATABASE: `${run.CLICKHOUSE_DATABASE}_${suffix}`, NATS_STREAM_PREFIX: `${run.NATS_STREAM_PREFIX}${suffix.toUpperCase()}` };
  const config = parseConfig({ ...run, ...env });
  await migrateAll(config);
  return { env, drop: () => dropNamespace(config) };
}
