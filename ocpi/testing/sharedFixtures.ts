// Where the spec's own material lives (shared/ocpi: examples, fields table, worked pricing
// examples): beside the checkout as `../shared` for developers and CI. OCPI_SHARED_DIR overrides;
// a clone elsewhere finds it in a parent folder or at the workplace's fixed location.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

function locate(): string {
  const candidates = [process.env.OCPI_SHARED_DIR, path.join(repoRoot, '..', 'shared')];
  for (let dir = path.dirname(repoRoot); dir !== path.dirname(dir); dir = path.dirname(dir)) candidates.push(path.join(dir, 'shared'));
  candidates.push('/work/shared');
  const found = candidates.find((c): c is string => !!c && existsSync(path.join(c, 'ocpi', 'examples')));
  if (!found) throw new Error('the shared OCPI material (shared/ocpi) was not found: set OCPI_SHARED_DIR');
  return found;
}

let shared: string | undefined;

/** Absolute path of a file under shared/ocpi, e.g. sharedOcpi('examples', 'cdr_example.json'). */
export function sharedOcpi(...parts: string[]): string {
  shared ??= locate();
  return path.join(shared, 'ocpi', ...parts);
}

/** A spec example (data payload) by file name. */
export function specExample<T = any>(name: string): T {
  return JSON.parse(readFileSync(sharedOcpi('examples', name), 'utf8')) as T;
}
