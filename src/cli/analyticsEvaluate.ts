// `hub analytics evaluate [--seed N] [--cdrs N] [--rate N] [--prefill N] [--json] [--keep]`: generated CDR
// traffic with labelled anomalies through the real pipeline (own databases and streams, dropped
// afterwards); prints precision and recall per anomaly type and the detection latency. --prefill N
// stores N CDRs of other parties' past traffic first, to measure latency on a database of that size.
import { createLogger } from '../logger.ts';
import { evaluate } from '../../pipelines/evaluate/run.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { cliConfig } from './localConfig.ts';

const integer = (value: string | undefined, name: string, fallback: number, min: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliUsageError(`--${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer`);
  return n;
};
const positive = (value: string | undefined, name: string, fallback: number) => integer(value, name, fallback, 1);

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { seed: { type: 'string' }, cdrs: { type: 'string' }, rate: { type: 'string' }, prefill: { type: 'string' }, json: { type: 'boolean' }, keep: { type: 'boolean' } });
  const options = { seed: positive(values.seed, 'seed', 1), cdrs: positive(values.cdrs, 'cdrs', 20_000), rate: positive(values.rate, 'rate', 1000), prefill: integer(values.prefill, 'prefill', 0, 0), keep: values.keep ?? false };
  const report = await evaluate(cliConfig(), options, createLogger({ level: 'warn', destination: process.stderr as never }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const pct = (v: number) => v.toFixed(3);
    const lines = [
      `evaluated ${report.cdrs} CDRs (seed ${report.seed}) published at ${report.rate}/s in ${report.publish_seconds.toFixed(1)} s; total ${report.total_seconds.toFixed(1)} s`,
      ...(report.prefill.cdrs ? [`on a database pre-filled with ${report.prefill.cdrs} CDRs of other parties (stored in ${report.prefill.seconds.toFixed(1)} s)`] : []),
      '',
      `${'type'.padEnd(24)}${'labelled'.padStart(9)}${'detected'.padStart(9)}${'TP'.padStart(6)}${'FP'.padStart(6)}${'FN'.padStart(6)}${'precision'.padStart(11)}${'recall'.padStart(8)}`,
      ...report.scores.map((s) => `${s.type.padEnd(24)}${String(s.labelled).padStart(9)}${String(s.detected).padStart(9)}${String(s.true_positives).padStart(6)}${String(s.false_positives).padStart(6)}${String(s.false_negatives).padStart(6)}${pct(s.precision).padStart(11)}${pct(s.recall).padStart(8)}`),
      '',
      `detection latency (accepted → review item recorded, ${report.latency_s.n} CDR findings): p50 ${report.latency_s.p50.toFixed(2)} s, p95 ${report.latency_s.p95.toFixed(2)} s, max ${report.latency_s.max.toFixed(2)} s`,
    ];
    if (report.examples.false_positives.length) lines.push(`false positives (first): ${report.examples.false_positives.join(', ')}`);
    if (report.examples.false_negatives.length) lines.push(`false negatives (first): ${report.examples.false_negatives.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  for (const m of [
    { name: 'anomalies.precision_min', value: report.precision_min, unit: 'ratio', target: 0.95 },
    { name: 'anomalies.recall_min', value: report.recall_min, unit: 'ratio', target: 0.95 },
    { name: 'anomalies.latency_s', value: report.latency_s.max, unit: 's', target: 10 },
  ]) {
    process.stdout.write(`${JSON.stringify({ ...m, baseline: null, ratio: null })}\n`);
  }
  const ok = report.precision_min >= 0.95 && report.recall_min >= 0.95 && report.latency_s.max <= 10;
  return ok ? 0 : 1;
}
