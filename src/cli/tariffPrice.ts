// hub tariff price --tariff FILE --cdr FILE [--timezone TZ] [--explain]
// Prices a CDR (or the part of one pricing needs) from one Tariff or a list of them and prints the
// result as JSON, or with --explain as a breakdown a settlement team can read. Exit 0 when priced;
// exit 1 with a message on stderr when the input cannot be priced; exit 2 for a usage mistake.
import { readFile } from 'node:fs/promises';
import { explainPrice, priceCdr, priceResultToJson, PricingInputError, readCdr, readTariffs } from '../../ocpi/tariffs/index.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

class InputFileError extends Error {
  override name = 'InputFileError';
}

async function readJsonFile(file: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(`${option} ${file}: cannot read the file${code ? ` (${code})` : ''}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputFileError(`${option} ${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export async function run(args: string[], io: CliIo = process): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    tariff: { type: 'string' },
    cdr: { type: 'string' },
    timezone: { type: 'string' },
    explain: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(positionals[0])}; usage: hub tariff price --tariff FILE --cdr FILE [--timezone TZ] [--explain]`);
  const tariffFile = requireOption(values.tariff, 'tariff');
  const cdrFile = requireOption(values.cdr, 'cdr');
  try {
    const tariffs = readTariffs(await readJsonFile(tariffFile, '--tariff'));
    const cdr = readCdr(await readJsonFile(cdrFile, '--cdr'));
    const result = priceCdr({ tariffs, cdr, timeZone: values.timezone ?? null });
    if (values.explain) {
      const chosen = tariffs.find((t) => t.id === result.tariff.id && (t.party_id ?? null) === result.tariff.party_id) ?? tariffs.find((t) => t.id === result.tariff.id);
      io.stdout.write(explainPrice(result, chosen));
    } else {
      io.stdout.write(`${JSON.stringify(priceResultToJson(result), null, 2)}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof PricingInputError || err instanceof InputFileError) {
      io.stderr.write(`hub tariff price: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
