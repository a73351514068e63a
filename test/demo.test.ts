// The demo with a small network and a short duration, asserting its own summary: every CDR a CPO
// sent was received by its eMSP and booked once, the cycles settled, the injected bad billing was found.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../src/config.ts';
import { dropNamespace, migrateAll } from '../src/bootstrap.ts';
import { createLogger } from '../src/logger.ts';
import { freePort } from '../src/sim/freePort.ts';
import { DETECTED_AS, runDemo } from '../src/demo/runDemo.ts';

let config: Config;

beforeAll(async () => {
  const env = inject('testEnv');
  const database = new URL(env.DATABASE_URL);
  database.pathname = `${database.pathname}_demo`;
  const port = await freePort();
  config = parseConfig({
    ...env,
    DATABASE_URL: database.toString(),
    CLICKHOUSE_DATABASE: `${env.CLICKHOUSE_DATABASE}_demo`,
    NATS_STREAM_PREFIX: `${env.NATS_STREAM_PREFIX}D`,
    PORT: String(port),
    HUB_PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  await migrateAll(config);
});

afterAll(async () => {
  await dropNamespace(config);
});

describe('hub demo', () => {
  it('routes, books, detects and settles a small network', async () => {
    const summary = await runDemo({
      config,
      log: createLogger({ level: 'silent' }),
      durationSeconds: 12,
      cpos: 2,
      emsps: 2,
      both: 1,
      rate: 4,
      seed: 3,
      statementsDir: mkdtempSync(path.join(tmpdir(), 'demo-statements-')),
    });
    console.log('demo summary', JSON.stringify(summary));
    expect(summary.cdrsSent).toBeGreaterThan(20);
    expect(summary.cdrsReceived).toBe(summary.cdrsSent);
    expect(summary.cdrsBooked).toBe(summary.cdrsSent);
    expect(summary.cdrsBookedTwice).toBe(0);
    expect(summary.cycles.length).toBeGreaterThan(0);
    for (const cycle of summary.cycles) expect(cycle.state).toBe('settled');
    expect(summary.statements.length).toBeGreaterThan(0);
    const injectedKinds = Object.entries(summary.injected).filter(([, n]) => n > 0);
    expect(injectedKinds.length).toBeGreaterThan(0);
    for (const [kind] of injectedKinds) expect(summary.anomaliesByType[DETECTED_AS[kind]] ?? 0).toBeGreaterThan(0);
    expect(summary.anomaliesByType.overlapping_sessions ?? 0).toBe(0);
    // Statements reached the billing contacts with PDF and CSV; the late payer was reminded once, then paid.
    expect(summary.emails.statements).toBeGreaterThan(0);
    expect(summary.emails.withAttachments).toBe(summary.emails.statements);
    expect(summary.latePayer).not.toBeNull();
    expect(summary.emails.remindersToLatePayer).toBe(1);
    expect(summary.latePayer!.status).toBe('paid');
    expect(Number(summary.latePayer!.balance)).toBe(0);
  }, 300_000);
});
