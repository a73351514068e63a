// `hub ocpi validate --type TYPE [--partial] FILE | --list`
// FILE holds the OCPI object itself (not an envelope); `-` reads standard input.
// Exit 0 when valid, 1 when invalid or not JSON (errors as a JSON array on stdout), 2 on misuse.
import { readFile } from 'node:fs/promises';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import {
  isOcpiTypeName,
  isPatchableTypeName,
  ocpiTypeNames,
  patchableTypeNames,
  validate,
  type ValidationError,
} from '../../ocpi/validate.ts';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    type: { type: 'string' },
    partial: { type: 'boolean' },
    list: { type: 'boolean' },
  });
  if (values.list) {
    process.stdout.write(`${ocpiTypeNames.join('\n')}\n`);
    return 0;
  }
  const type = requireOption(values.type, 'type');
  if (!isOcpiTypeName(type)) {
    throw new CliUsageError(`unknown type "${type}"; valid types: ${ocpiTypeNames.join(', ')}`);
  }
  if (values.partial && !isPatchableTypeName(type)) {
    throw new CliUsageError(`--partial applies to PATCH bodies only: ${patchableTypeNames.join(', ')}`);
  }
  if (positionals.length !== 1) throw new CliUsageError('exactly one FILE is required (use - for standard input)');

  const parsed = parseJson(await readInput(positionals[0]));
  if (!parsed.ok) return reportErrors([{ path: '$', message: `not valid JSON: ${parsed.reason}` }]);

  const result = validate(type, parsed.value, { partial: values.partial ?? false });
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning.path}: ${warning.message}\n`);
  if (!result.ok) return reportErrors(result.errors);
  process.stderr.write('valid\n');
  return 0;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file === '-' ? '/dev/stdin' : file, 'utf8');
  } catch (err) {
    throw new CliUsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function reportErrors(errors: ValidationError[]): number {
  process.stdout.write(`${JSON.stringify(errors, null, 2)}\n`);
  return 1;
}
