import { describePlatforms } from '../partners/describePlatforms.ts';
import { parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { json: { type: 'boolean' } });
  const platforms = await withDeps((deps) => describePlatforms(deps.db));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(platforms, null, 2)}\n`);
    return 0;
  }
  if (platforms.length === 0) process.stdout.write('no partners yet: invite one with `hub partners invite --name NAME`\n');
  for (const p of platforms) {
    process.stdout.write(`${p.id}  ${p.name}  ${p.state}${p.version ? `  OCPI ${p.version}` : ''}${p.versions_url ? `  ${p.versions_url}` : ''}\n`);
    for (const party of p.parties) process.stdout.write(`    ${party.role.padEnd(5)} ${party.country_code}-${party.party_id}  ${party.status}  ${party.name ?? ''}\n`);
  }
  return 0;
}
