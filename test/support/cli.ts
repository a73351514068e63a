// The `hub` executable (scripts/hub) run the way an operator types it, against a test namespace.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { envValue } from '../../src/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hub …args` with the run's environment and `env` over it (e.g. an own namespace's); never rejects. */
export function runHub(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const full = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv'), ...env };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env: full, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
