import { rotateWithPartner } from '../partners/credentials.ts';
import { parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { platform: { type: 'string' } });
  const platformId = requireOption(values.platform, 'platform');
  await withDeps((deps) => rotateWithPartner(deps, platformId, 'cli'));
  process.stdout.write('rotated\n');
  return 0;
}
