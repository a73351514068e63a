// `hub bench [--only routing,pricing,clearing,ingest,anomalies,pagination] [--quick] [--repeat N] [--json FILE]`:
// every benchmark the issues define, each beside its baseline in the same run, repeated and
// reported as medians (machine noise is real). Prints a table and writes the same as JSON.
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliUsageError, parseOptions } from './args.ts';
import { cliConfig } from './localConfig.ts';
import { createLogger } from '../logger.ts';

export interface BenchRecord {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string | number | null;
}

const SUITES = ['routing', 'pricing', 'clearing', 'ingest', 'anomalies', 'pagination'] as const;
type Suite = (typeof SUITES)[number];

const normalise = (r: { name: string; value: number; unit: string; baseline?: number | null; ratio?: number | null; target?: unknown }): BenchRecord => ({
  name: r.name,
  value: r.value,
  unit: r.unit,
  baseline: r.baseline ?? null,
  ratio: r.ratio ?? null,
  target: (r.target as string | number | null | undefined) ?? null,
});

async function runSuite(suite: Suite, quick: boolean): Promise<BenchRecord[]> {
  switch (suite) {
    case 'routing': {
      const { benchRouting } = await import('../../scripts/bench-routing.ts');
      return (await benchRouting({ seconds: quick ? 15 : 60, rate: 1000, latencySeconds: quick ? 8 : 60, concurrency: 64, hubProcesses: ['web', 'worker'] })).map(normalise);
    }
    case 'pricing': {
      const { benchPricing } = await import('../../scripts/bench-pricing.ts');
      const r = benchPricing({ seconds: quick ? 1 : 3, runs: quick ? 3 : 5 });
      return [normalise({ ...r, target: '>= 50000 per s (one core)' })];
    }
    case 'clearing': {
      const { benchClearing } = await import('../../scripts/bench-clearing.ts');
      return (await benchClearing({ cdrs: quick ? 100_000 : 1_000_000, parties: 200, currencies: 3, bookingCdrs: quick ? 10_000 : 30_000, log: (line) => process.stderr.write(`${line}\n`) })).map(normalise);
    }
    case 'ingest': {
      const { benchIngest } = await import('../../scripts/bench-ingest.ts');
      return (await benchIngest({ cdrs: quick ? 20_000 : 100_000 })).map(normalise);
    }
    case 'pagination': {
      const { benchPagination } = await import('../../scripts/bench-pagination.ts');
      return (await benchPagination({ cdrs: quick ? 200_000 : 1_000_000, samples: quick ? 20 : 100, limit: 100 })).map(normalise);
    }
    case 'anomalies': {
      const { evaluate } = await import('../../pipelines/evaluate/run.ts');
      const report = await evaluate(cliConfig(), { seed: 1, cdrs: quick ? 5000 : 20_000, rate: 1000, keep: false }, createLogger({ level: 'warn', destination: process.stderr as never }));
      return [
        { name: 'anomalies.precision_min', value: report.precision_min, unit: 'ratio', baseline: null, ratio: null, target: '>= 0.95' },
        { name: 'anomalies.recall_min', value: report.recall_min, unit: 'ratio', baseline: null, ratio: null, target: '>= 0.95' },
        { name: 'anomalies.latency_s', value: report.latency_s.max, unit: 's', baseline: null, ratio: null, target: '<= 10 s at 1000 CDR/s' },
      ];
    }
  }
}

/** Median per figure over the repeats (value, baseline and ratio each). */
export function medians(runs: BenchRecord[][]): BenchRecord[] {
  const byName = new Map<string, BenchRecord[]>();
  for (const run of runs) for (const r of run) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  return [...byName.values()].map((records) => {
    const baselines = records.map((r) => r.baseline).filter((v): v is number => v !== null);
    const ratios = records.map((r) => r.ratio).filter((v): v is number => v !== null);
    return { ...records[0], value: mid(records.map((r) => r.value)), baseline: baselines.length ? mid(baselines) : null, ratio: ratios.length ? mid(ratios) : null };
  });
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { only: { type: 'string' }, quick: { type: 'boolean' }, repeat: { type: 'string' }, json: { type: 'string' } });
  const suites = (values.only ? values.only.split(',').map((s) => s.trim()) : [...SUITES]) as Suite[];
  const unknown = suites.filter((s) => !SUITES.includes(s));
  if (unknown.length) throw new CliUsageError(`unknown benchmark ${unknown.join(', ')}; choose from ${SUITES.join(', ')}`);
  const repeat = Number(values.repeat ?? (values.quick ? 1 : 3));
  cliConfig();
  const results: BenchRecord[] = [];
  for (const suite of suites) {
    const runs: BenchRecord[][] = [];
    for (let i = 0; i < repeat; i++) {
      process.stderr.write(`bench: ${suite} run ${i + 1}/${repeat}\n`);
      runs.push(await runSuite(suite, values.quick ?? false));
    }
    results.push(...medians(runs));
  }
  const report = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` },
    date: new Date().toISOString(),
    quick: values.quick ?? false,
    repeat,
    results,
  };
  process.stdout.write(table(results));
  if (values.json) {
    // A fresh clone has no bench-results/: the report of a 20-minute run must not be lost to it.
    mkdirSync(dirname(values.json), { recursive: true });
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  return 0;
}

function table(results: BenchRecord[]): string {
  const fmt = (v: number | null) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1));
  const rows = results.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, fmt(r.baseline), fmt(r.ratio), r.target === null ? '-' : String(r.target)]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}
