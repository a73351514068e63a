// Starts a hub (web role) on a random port against the run's own databases.
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { parseConfig, type Config } from '../../src/config.ts';
import { buildDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { startHub, type RunningHub, type Role } from '../../src/main.ts';
import { freePort } from '../../src/sim/freePort.ts';

export { freePort };

export interface TestHub extends RunningHub {
  config: Config;
  /** Every log line the hub wrote, for assertions (e.g. that no token is ever logged). */
  logLines: string[];
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({ ...inject('testEnv'), PORT: '0', ...overrides });
}

export async function startTestHub(overrides: Record<string, string> = {}, roles: Role[] = ['web']): Promise<TestHub> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // The port is only known after listening, yet HUB_PUBLIC_URL must name it: reserve one first.
  const port = await freePort();
  const config = testConfig({ PORT: String(port), HUB_PUBLIC_URL: `http://127.0.0.1:${port}`, ...overrides });
  const deps = await buildDeps(config, createLogger({ level: 'debug', destination: sink }), 'test-hub');
  const hub = await startHub(config, roles, deps);
  return Object.assign(hub, { config, logLines });
}


export { call, type HttpResult } from '../../src/sim/http.ts';
