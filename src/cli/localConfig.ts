import { fileURLToPath } from 'node:url';
import { config, ensureLocalSecrets, type Config } from '../config.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Configuration for CLI commands: environment first, then the generated local secrets file. */
export function cliConfig(): Config {
  const { generated } = ensureLocalSecrets(`${repoRoot}.env.local`);
  if (generated) process.stderr.write('hub: generated ADMIN_TOKEN and TOKEN_ENCRYPTION_KEY into .env.local (local use only)\n');
  return config();
}
