import { invitePartner } from '../partners/credentials.ts';
import { parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

/** Prints one JSON line {"token", "versions_url"}: what the partner needs to register. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { name: { type: 'string' } });
  const name = requireOption(values.name, 'name');
  const invitation = await withDeps((deps) => invitePartner(deps, name, 'cli'));
  process.stdout.write(`${JSON.stringify({ token: invitation.token, versions_url: invitation.versionsUrl })}\n`);
  return 0;
}
