import { buildDeps, closeDeps } from '../bootstrap.ts';
import type { HubDeps } from '../deps.ts';
import { createLogger } from '../logger.ts';
import { cliConfig } from './localConfig.ts';

/** Runs a CLI action with the hub's dependencies and always closes the database pool. */
export async function withDeps<T>(action: (deps: HubDeps) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const deps = await buildDeps(config, createLogger({ level: 'warn', destination: process.stderr as never }), 'hub-cli');
  try {
    return await action(deps);
  } finally {
    await closeDeps(deps);
  }
}
