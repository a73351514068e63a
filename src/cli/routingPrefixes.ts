// `hub routing prefixes list [--party CC-PID] [--json] | add PREFIX --party CC-PID | remove PREFIX`:
// the token prefix map open routing uses to find a session's or CDR's eMSP.
import { addPrefix, listPrefixes, removePrefix } from '../hub/tokenPrefixes.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

const USAGE = 'usage: hub routing prefixes list [--party CC-PID] [--json] | add PREFIX --party CC-PID | remove PREFIX';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { party: { type: 'string' }, prefix: { type: 'string' }, json: { type: 'boolean' } });
  const [action, positionalPrefix, ...extra] = positionals;
  // --prefix for a prefix that starts with "-" (it would read as an option).
  const prefix = values.prefix ?? positionalPrefix;
  if (extra.length > 0 || (values.prefix !== undefined && positionalPrefix !== undefined)) throw new CliUsageError(USAGE);
  if (action === 'list') {
    return withDeps(async (deps) => {
      const prefixes = await listPrefixes(deps.db, { party: values.party });
      if (values.json) process.stdout.write(`${JSON.stringify(prefixes, null, 2)}\n`);
      else if (prefixes.length === 0) process.stdout.write('no token prefixes: add one with `hub routing prefixes add PREFIX --party CC-PID`\n');
      else for (const p of prefixes) process.stdout.write(`${p.prefix.padEnd(37)} ${p.party}\n`);
      return 0;
    });
  }
  if (action === 'add') {
    if (prefix === undefined) throw new CliUsageError('name the prefix: hub routing prefixes add PREFIX --party CC-PID');
    if (values.party === undefined) throw new CliUsageError('--party CC-PID is required (the eMSP that owns tokens with this prefix)');
    return withDeps(async (deps) => {
      const { prefix: added, created } = await addPrefix(deps.db, { prefix, party: values.party }, 'cli');
      process.stdout.write(created ? `${added.prefix} → ${added.party}\n` : `${added.prefix} → ${added.party} (already there)\n`);
      return 0;
    });
  }
  if (action === 'remove') {
    if (prefix === undefined) throw new CliUsageError('name the prefix: hub routing prefixes remove PREFIX');
    return withDeps(async (deps) => {
      const removed = await removePrefix(deps.db, prefix, 'cli');
      process.stdout.write(`removed ${removed.prefix} (was ${removed.party})\n`);
      return 0;
    });
  }
  throw new CliUsageError(USAGE);
}
