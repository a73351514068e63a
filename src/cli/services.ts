// `hub services up|down|status`: a thin wrapper around scripts/services.sh, which does the work
// (it has to run before node_modules or the database exist, so it is plain bash).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

export async function run(args: string[]): Promise<number> {
  const child = spawn('bash', [script, ...args], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
