import { parsePartyRef } from '../clearing/parties.ts';
import { resumeParty, suspendParty } from '../partners/suspension.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

/**
 * `hub partners suspend CC-PID [--role ROLE]`: the party is SUSPENDED in HubClientInfo (every
 * other connected platform is told), nothing is routed or delivered to it until
 * `hub partners resume CC-PID [--role ROLE]`. Prints the party's roles and their status.
 */
export function command(action: 'suspend' | 'resume') {
  return async function run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, { role: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new CliUsageError(`usage: hub partners ${action} CC-PID [--role ROLE]`);
    let ref;
    try {
      ref = parsePartyRef(positionals[0]);
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    const target = { ...ref, role: values.role?.toUpperCase() };
    const parties = await withDeps((deps) => (action === 'suspend' ? suspendParty : resumeParty)(deps, target, 'cli'));
    if (values.json) process.stdout.write(`${JSON.stringify(parties, null, 2)}\n`);
    else for (const p of parties) process.stdout.write(`${p.role.padEnd(5)} ${p.country_code}-${p.party_id}  ${p.status}\n`);
    return 0;
  };
}

export const run = command('suspend');
