// `hub tariff price` as a settlement team runs it: every worked example of the spec through the
// real command (scripts/hub), then input mistakes and --explain.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED_OCPI, workedExampleCases } from '../../ocpi/tariffs/test-support/workedExamples.ts';
import { CliUsageError } from './args.ts';
import { run } from './tariffPrice.ts';

const exec = promisify(execFile);
const HUB = path.join(REPO_ROOT, 'scripts/hub');
const dir = mkdtempSync(path.join(tmpdir(), 'tariff-price-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function writeJson(value: unknown, name = `f${files++}.json`): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

async function hub(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(HUB, ['tariff', 'price', ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const cases = workedExampleCases((actual, expected, what) => expect(actual, what).toEqual(expected));

describe('hub tariff price: the spec\'s worked examples', () => {
  it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const tariffFile = c.tariffFile ?? writeJson(c.tariff);
    const args = ['--tariff', tariffFile, '--cdr', writeJson(c.cdr)];
    if (c.timeZone) args.push('--timezone', c.timeZone);
    const { code, stdout, stderr } = await hub(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { total_cost: { excl_vat: number; incl_vat: number } };
    // JSON numbers with at most 4 decimals, equal to the oracle's.
    expect(out.total_cost.excl_vat).toBe(Number(c.expected.excl_vat));
    if (c.expected.incl_vat !== null) expect(out.total_cost.incl_vat).toBe(Number(c.expected.incl_vat));
  }, 60_000);
});

describe('hub tariff price: output', () => {
  const tariff = path.join(SHARED_OCPI, 'examples/tariff_4_complex.json');
  const cdr = {
    start_date_time: '2019-01-14T08:30:00Z',
    end_date_time: '2019-01-14T11:57:00Z',
    currency: 'EUR',
    charging_periods: [
      { start_date_time: '2019-01-14T08:30:00Z', dimensions: [{ type: 'TIME', volume: 2.75 }, { type: 'MAX_CURRENT', volume: 16 }] },
      { start_date_time: '2019-01-14T11:15:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0.7 }] },
    ],
  };

  function capture() {
    const out = { stdout: '', stderr: '' };
    const io = { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } };
    return { out, io };
  }

  it('prints every cost field as a JSON number, the time zone and where it came from', async () => {
    const { out, io } = capture();
    expect(await run(['--tariff', tariff, '--cdr', writeJson(cdr), '--timezone', 'Europe/Berlin'], io)).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      total_cost: { excl_vat: 9, incl_vat: 10.3 },
      total_fixed_cost: { excl_vat: 2.5, incl_vat: 2.875 },
      total_energy_cost: { excl_vat: 0, incl_vat: 0 },
      total_time_cost: { excl_vat: 2.75, incl_vat: 3.3 },
      total_parking_cost: { excl_vat: 3.75, incl_vat: 4.125 },
      total_reservation_cost: { excl_vat: 0, incl_vat: 0 },
      total_time: 3.45,
      total_parking_time: 0.7,
      time_zone: 'Europe/Berlin',
      time_zone_source: 'input',
      tariff: { id: '14', reason: 'only_candidate' },
    });
    expect(json.periods[1].lines[0]).toMatchObject({ dimension: 'PARKING_TIME', element_index: 4, step_size: 300, volume: 0.7, billed_volume: 0.75, cost: { excl_vat: 3.75 } });
  });

  it('says when UTC was assumed', async () => {
    const { out, io } = capture();
    expect(await run(['--tariff', tariff, '--cdr', writeJson(cdr)], io)).toBe(0);
    const json = JSON.parse(out.stdout);
    expect([json.time_zone, json.time_zone_source]).toEqual(['UTC', 'utc_fallback']);
    expect(json.warnings.map((w: { code: string }) => w.code)).toContain('utc_fallback_with_local_restrictions');
  });

  it('takes the time zone the CDR carries', async () => {
    const { out, io } = capture();
    expect(await run(['--tariff', tariff, '--cdr', writeJson({ ...cdr, time_zone: 'Europe/Berlin' })], io)).toBe(0);
    expect(JSON.parse(out.stdout).time_zone_source).toBe('cdr');
  });

  it('takes a list of tariffs and says which one it used', async () => {
    const { out, io } = capture();
    const other = { ...JSON.parse(JSON.stringify(cdr)), charging_periods: cdr.charging_periods.map((p) => ({ ...p, tariff_id: '14' })) };
    const list = writeJson([{ country_code: 'DE', party_id: 'ALL', id: '99', currency: 'EUR', elements: [{ price_components: [{ type: 'FLAT', price: 100, step_size: 1 }] }], last_updated: '2019-01-01T00:00:00Z' }, JSON.parse(readFileSync(tariff, 'utf8'))]);
    expect(await run(['--tariff', list, '--cdr', writeJson(other), '--timezone', 'Europe/Berlin'], io)).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ tariff: { id: '14', reason: 'referenced_by_cdr' }, total_cost: { excl_vat: 9 } });
  });

  it('--explain prints a breakdown a person can follow', async () => {
    const { code, stdout } = await hub(['--tariff', tariff, '--cdr', writeJson(cdr), '--timezone', 'Europe/Berlin', '--explain']);
    expect(code).toBe(0);
    expect(stdout).toContain('restrictions read in Europe/Berlin, given with the request (--timezone)');
    expect(stdout).toContain('Period 1  2019-01-14T11:15:00Z → 2019-01-14T11:57:00Z  (local 2019-01-14T12:15:00+01:00 MONDAY)');
    expect(stdout).toContain('elements[4].price_components[0] [start_time 09:00, end_time 18:00, day_of_week MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY]');
    expect(stdout).toContain('EUR 5 per h, VAT 10%, step_size 300 s');
    expect(stdout).toContain('measured 0.7 h (0:42:00), billed 0.75 h (0:45:00)');
    expect(stdout).toMatch(/TOTAL\s+9\.0000\s+10\.3000/);
  }, 60_000);

  it('--explain says UTC was assumed', async () => {
    const { out, io } = capture();
    expect(await run(['--tariff', tariff, '--cdr', writeJson(cdr), '--explain'], io)).toBe(0);
    expect(out.stdout).toContain('UTC ASSUMED');
    expect(out.stdout).toContain('[utc_fallback_with_local_restrictions]');
  });
});

describe('hub tariff price: input it cannot price', () => {
  const tariff = path.join(SHARED_OCPI, 'examples/tariff_8_simple_025kwh.json');
  const cdr = { start_date_time: '2019-01-14T08:30:00Z', end_date_time: '2019-01-14T09:30:00Z', currency: 'EUR', charging_periods: [{ start_date_time: '2019-01-14T08:30:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }] }] };

  it.concurrent.each([
    ['a CDR file that is not JSON', () => ['--tariff', tariff, '--cdr', writeJson('{"start_date_time": ')], /--cdr .*: not valid JSON/],
    ['a tariff file that does not exist', () => ['--tariff', path.join(dir, 'missing.json'), '--cdr', writeJson(cdr)], /--tariff .*missing\.json: cannot read the file \(ENOENT\)/],
    ['a CDR without charging_periods', () => ['--tariff', tariff, '--cdr', writeJson({ ...cdr, charging_periods: undefined })], /cdr\.charging_periods: required/],
    ['a CDR without currency', () => ['--tariff', tariff, '--cdr', writeJson({ ...cdr, currency: undefined })], /cdr\.currency: required/],
    ['a tariff without elements', () => ['--tariff', writeJson({ id: 'X', currency: 'EUR' }), '--cdr', writeJson(cdr)], /tariff\.elements: at least one TariffElement is required/],
    ['a price that is not a number', () => ['--tariff', writeJson({ id: 'X', currency: 'EUR', elements: [{ price_components: [{ type: 'ENERGY', price: 'cheap', step_size: 1 }] }] }), '--cdr', writeJson(cdr)], /tariff\.elements\[0\]\.price_components\[0\]\.price: expected a decimal number, got "cheap"/],
    ['an unknown time zone', () => ['--tariff', tariff, '--cdr', writeJson(cdr), '--timezone', 'Europe/Atlantis'], /unknown time zone "Europe\/Atlantis"/],
    ['an empty list of tariffs', () => ['--tariff', writeJson([]), '--cdr', writeJson(cdr)], /tariffs: the list is empty/],
  ] as const)('%s: exit 1 and says what is wrong', async (_name, args, message) => {
    const { code, stdout, stderr } = await hub(args());
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  }, 60_000);

  it('a missing option is a usage error (exit 2 through the dispatcher)', async () => {
    await expect(run(['--cdr', 'x.json'])).rejects.toThrow(CliUsageError);
    await expect(run(['--tariff', 'a.json', '--cdr', 'b.json', 'extra'])).rejects.toThrow(/unexpected argument "extra"/);
    const { code, stderr } = await hub(['--cdr', writeJson(cdr)]);
    expect([code, stderr.trim()]).toEqual([2, 'hub: --tariff is required']);
  }, 60_000);
});
