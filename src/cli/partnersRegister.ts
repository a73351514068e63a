import { registerWithPartner } from '../partners/credentials.ts';
import { parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { 'versions-url': { type: 'string' }, token: { type: 'string' }, name: { type: 'string' } });
  const versionsUrl = requireOption(values['versions-url'], 'versions-url');
  const tokenA = requireOption(values.token, 'token');
  const result = await withDeps((deps) => registerWithPartner(deps, { versionsUrl, tokenA, name: values.name, actor: 'cli' }));
  process.stdout.write(`${JSON.stringify({ platform_id: result.platformId, roles: result.roles })}\n`);
  return 0;
}
