import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: printed without a stack, exit 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** Strict option parsing shared by every subcommand, so unknown flags are refused the same way. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(err instanceof Error ? err.message : String(err));
  }
}

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}
