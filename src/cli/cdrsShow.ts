import { describeCdr } from '../hub/describeCdr.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

/** `hub cdrs show CC-PID-ID [--explain]`: the CDR, where it went, its findings and the hub's price. */
export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { explain: { type: 'boolean' } });
  const match = /^([A-Za-z]{2})-([A-Za-z0-9]{3})-(.+)$/.exec(positionals[0] ?? '');
  if (!match) throw new CliUsageError('usage: hub cdrs show CC-PID-ID [--explain]  (e.g. NL-TNM-12345)');
  const description = await withDeps((deps) => describeCdr(deps, match[1], match[2], match[3]));
  if (values.explain) {
    const findings = description.validation as { severity: string; rule: string; message: string }[];
    process.stdout.write(`CDR ${match[0]} → ${description.receiver ?? 'no receiver'} (${description.routing})\n`);
    process.stdout.write(findings.length ? findings.map((f) => `  ${f.severity.toUpperCase()} ${f.rule}: ${f.message}`).join('\n') + '\n' : '  no findings\n');
    const price = description.hub_price;
    process.stdout.write(price === null ? 'no tariff known: price not recomputed\n' : 'error' in price ? `price not recomputable: ${price.error}\n` : `${price.explanation}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
  }
  return 0;
}
