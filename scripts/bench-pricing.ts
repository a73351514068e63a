// Price computations per second on one core: a 3-element tariff with restrictions (time of day,
// day of week, max_power) and a 6-period CDR read in Europe/Amsterdam, priced with the full
// breakdown. Target ≥ 50,000/s.
//   node --import tsx scripts/bench-pricing.ts [--seconds 3] [--runs 5]
// prints {"name":"pricing.rate","value":…,"unit":"per_s","target":50000,…}: the median of the runs.
//
// "On one core" is measured as the CPU time of the thread that prices (Linux: /proc), so other
// processes on a shared machine do not lower the figure; wall-clock rates are reported beside it.
// Run from the command line, the script re-runs itself with --single-threaded-gc, so garbage
// collection is done, and counted, on that same thread rather than on helper threads.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { priceCdr } from '../ocpi/tariffs/price.ts';
import type { CdrInput, PriceResult, Tariff } from '../ocpi/tariffs/types.ts';

export const BENCH_TARIFF: Tariff = {
  country_code: 'NL',
  party_id: 'ABC',
  id: 'BENCH-1',
  currency: 'EUR',
  elements: [
    {
      price_components: [
        { type: 'FLAT', price: 0.5, vat: 21, step_size: 1 },
        { type: 'ENERGY', price: 0.35, vat: 21, step_size: 1 },
      ],
      restrictions: { start_time: '07:00', end_time: '23:00', day_of_week: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] },
    },
    {
      price_components: [
        { type: 'ENERGY', price: 0.25, vat: 21, step_size: 1 },
        { type: 'TIME', price: 1.0, vat: 21, step_size: 60 },
      ],
      restrictions: { max_power: 22 },
    },
    {
      price_components: [
        { type: 'ENERGY', price: 0.45, vat: 21, step_size: 1 },
        { type: 'TIME', price: 2.0, vat: 21, step_size: 60 },
        { type: 'PARKING_TIME', price: 3.0, vat: 21, step_size: 300 },
      ],
    },
  ],
  last_updated: '2024-01-01T00:00:00Z',
};

/** Monday 2024-03-04 from 21:00 CET: across the 23:00 boundary and midnight, ending parked. */
export const BENCH_CDR: CdrInput = {
  start_date_time: '2024-03-04T20:00:00Z',
  end_date_time: '2024-03-05T00:00:00Z',
  currency: 'EUR',
  charging_periods: [
    { start_date_time: '2024-03-04T20:00:00Z', dimensions: [{ type: 'ENERGY', volume: 8.25 }, { type: 'TIME', volume: 0.75 }, { type: 'MAX_POWER', volume: 11 }] },
    { start_date_time: '2024-03-04T20:45:00Z', dimensions: [{ type: 'ENERGY', volume: 16.5 }, { type: 'TIME', volume: 0.75 }, { type: 'MAX_POWER', volume: 22 }] },
    { start_date_time: '2024-03-04T21:30:00Z', dimensions: [{ type: 'ENERGY', volume: 5.5 }, { type: 'TIME', volume: 0.5 }, { type: 'MAX_POWER', volume: 11 }] },
    { start_date_time: '2024-03-04T22:00:00Z', dimensions: [{ type: 'ENERGY', volume: 7.333 }, { type: 'TIME', volume: 0.666667 }, { type: 'MAX_POWER', volume: 11 }] },
    { start_date_time: '2024-03-04T22:40:00Z', dimensions: [{ type: 'ENERGY', volume: 2.1 }, { type: 'TIME', volume: 0.666667 }, { type: 'MAX_POWER', volume: 3.7 }] },
    { start_date_time: '2024-03-04T23:20:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0.666667 }] },
  ],
};

export interface BenchResult {
  name: 'pricing.rate';
  value: number;
  unit: 'per_s';
  target: number;
  /** Per second of the pricing thread's CPU time, sorted. */
  runs: number[];
  /** Per wall-clock second, in run order: lower when other processes share the cores. */
  wall_runs: number[];
  seconds_per_run: number;
  total_cost: PriceResult['total_cost'];
}

/** CPU seconds of this (the main) thread, from /proc; the whole process's where /proc is missing. */
function threadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is stat field 3
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  }
}

/** One run: price for `seconds` (wall clock); the rate is per second of the pricing thread's CPU time. */
function oneRun(seconds: number): { rate: number; wallRate: number; last: PriceResult } {
  const input = { tariffs: BENCH_TARIFF, cdr: BENCH_CDR, timeZone: 'Europe/Amsterdam' };
  let last = priceCdr(input);
  let count = 0;
  const cpuStart = threadCpuSeconds();
  const wallStart = performance.now();
  const until = wallStart + seconds * 1000;
  let now = wallStart;
  while (now < until) {
    for (let i = 0; i < 256; i++) last = priceCdr(input);
    count += 256;
    now = performance.now();
  }
  const cpuSeconds = threadCpuSeconds() - cpuStart;
  const wallSeconds = (now - wallStart) / 1000;
  return { rate: count / Math.max(cpuSeconds, 0.01), wallRate: count / wallSeconds, last };
}

/** The median rate of `runs` runs of `seconds` each, after a short warm-up. */
export function benchPricing({ seconds = 3, runs = 5 }: { seconds?: number; runs?: number } = {}): BenchResult {
  oneRun(Math.min(1, seconds));
  const results = Array.from({ length: runs }, () => oneRun(seconds));
  const rates = results.map((r) => Math.round(r.rate)).sort((a, b) => a - b);
  return {
    name: 'pricing.rate',
    value: rates[Math.floor(rates.length / 2)]!,
    unit: 'per_s',
    target: 50_000,
    runs: rates,
    wall_runs: results.map((r) => Math.round(r.wallRate)),
    seconds_per_run: seconds,
    total_cost: results[0]!.last.total_cost,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.execArgv.includes('--single-threaded-gc')) {
    const child = spawnSync(process.execPath, ['--single-threaded-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, runs: { type: 'string' } } });
  const result = benchPricing({ seconds: values.seconds ? Number(values.seconds) : 3, runs: values.runs ? Number(values.runs) : 5 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
