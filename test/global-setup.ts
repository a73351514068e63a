// Once per test run: a database, ClickHouse database and NATS stream prefix of its own, so two
// runs never collide and nothing depends on state a session left behind. Dropped at the end.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { parseConfig } from '../src/config.ts';
import { dropNamespace, migrateAll } from '../src/bootstrap.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ocpi_hub');
  base.pathname = `/ocpi_hub_test_${run}`;
  const testEnv: Record<string, string> = {
    DATABASE_URL: base.toString(),
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_STREAM_PREFIX: `T${run.toUpperCase()}`,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
    CLICKHOUSE_DATABASE: `ocpi_hub_test_${run}`,
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ALLOW_PRIVATE_PARTNER_URLS: 'true',
    LOG_LEVEL: 'silent',
    FORWARD_TIMEOUT_MS: '3000',
    // Test files insert CDR rows without publication markers on purpose; a sweeper in another
    // file's hub would publish them. The outbox test turns it on in a namespace of its own.
    OUTBOX_SWEEP_S: '0',
  };
  const config = parseConfig(testEnv);
  await migrateAll(config);
  project.provide('testEnv', testEnv);
  return async () => {
    await dropNamespace(config);
  };
}
