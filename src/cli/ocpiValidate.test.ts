// `hub ocpi validate` from the command path a user types: real process, real files, exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ocpiTypeNames } from '../../ocpi/validate.ts';
import { sampleOf } from '../../ocpi/schemas/samples.ts';
import { sharedOcpi } from '../../ocpi/testing/sharedFixtures.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = `${sharedOcpi('examples')}/`;
const dir = mkdtempSync(join(tmpdir(), 'ocpi-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hub(...args: string[]) {
  const result = spawnSync(join(root, 'scripts/hub'), ['ocpi', 'validate', ...args], { cwd: root, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempFile(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('hub ocpi validate', { timeout: 30_000 }, () => {
  it('exits 0 and prints nothing on stdout for a valid object', () => {
    const file = tempFile('session.json', JSON.stringify(sampleOf('session')));
    const { code, stdout, stderr } = hub('--type', 'session', file);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe('valid\n');
  });

  it('exits 1 with the errors as a JSON array on stdout', () => {
    const cdr = { ...sampleOf('cdr'), total_cost: { incl_vat: 4.4 }, currency: 'EURO' };
    const { code, stdout } = hub('--type', 'cdr', tempFile('cdr.json', JSON.stringify(cdr)));
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual([
      { path: 'currency', message: 'must be at most 3 characters' },
      { path: 'total_cost.excl_vat', message: 'required field missing' },
    ]);
  });

  it('names the wrong fields of the spec example that is not schema-valid, and warns about unknown ones', () => {
    const { code, stdout, stderr } = hub('--type', 'evse', join(examples, 'location_put_example_add_evse.json'));
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toContainEqual({ path: 'physical_reference', message: 'must be a string, got number' });
    expect(stderr).toContain('warning: floor: unknown field');
  });

  it('validates PATCH bodies with --partial', () => {
    const file = join(examples, 'token_patch_example.json');
    expect(hub('--type', 'token', '--partial', file).code).toBe(0);
    const full = hub('--type', 'token', file);
    expect(full.code).toBe(1);
    expect(JSON.parse(full.stdout)).toContainEqual({ path: 'uid', message: 'required field missing' });
  });

  it('exits 1 with a JSON error when the file is not JSON', () => {
    const { code, stdout } = hub('--type', 'token', tempFile('broken.json', '{"uid": '));
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual([{ path: '$', message: expect.stringMatching(/^not valid JSON: /) }]);
  });

  it('exits 2 for an unknown type, listing the valid ones', () => {
    const { code, stdout, stderr } = hub('--type', 'charger', tempFile('x.json', '{}'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown type "charger"; valid types: version, versions, version_details');
  });

  it('exits 2 for --partial on a type that has no PATCH', () => {
    const { code, stderr } = hub('--type', 'cdr', '--partial', tempFile('y.json', '{}'));
    expect(code).toBe(2);
    expect(stderr).toContain('--partial applies to PATCH bodies only: location, evse, connector, session, token');
  });

  it('--list prints the type names, one per line', () => {
    const { code, stdout } = hub('--list');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual(ocpiTypeNames);
  });
});
