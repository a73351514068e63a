import { invitePartner } from '../partners/credentials.ts';
import { parsePlannedParty } from '../store/partyStatus.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

const ROLES = new Set(['CPO', 'EMSP', 'NAP', 'NSP', 'OTHER', 'SCSP']);

/**
 * Prints one JSON line {"token", "versions_url"}: what the partner needs to register. Each
 * `--party ROLE:CC-PID` names a party the partner is expected to register: PLANNED in HubClientInfo
 * until it does.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { name: { type: 'string' }, party: { type: 'string', multiple: true } });
  const name = requireOption(values.name, 'name');
  const parties = (values.party ?? []).map((value) => {
    let party;
    try {
      party = parsePlannedParty(value);
    } catch (err) {
      throw new CliUsageError(`--party: ${(err as Error).message}`);
    }
    if (!ROLES.has(party.role)) throw new CliUsageError(`--party: unknown role "${party.role}" (one of ${[...ROLES].join(', ')})`);
    return party;
  });
  const invitation = await withDeps((deps) => invitePartner(deps, name, 'cli', parties));
  process.stdout.write(`${JSON.stringify({ token: invitation.token, versions_url: invitation.versionsUrl })}\n`);
  return 0;
}
