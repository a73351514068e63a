// hub cdrs import --file FILE [--sender CC-PID --receiver CC-PID]: publishes CDRs (a JSON array)
// onto the OCPI stream as the routing layer would, for the clearing booker.
import { readFileSync } from 'node:fs';
import { importCdrs } from '../clearing/cdrImport.ts';
import { parsePartyRef } from '../clearing/parties.ts';
import { progressBar } from '../clearing/progress.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { file: { type: 'string' }, sender: { type: 'string' }, receiver: { type: 'string' } });
  const cdrs = JSON.parse(readFileSync(requireOption(values.file, 'file'), 'utf8'));
  if (!Array.isArray(cdrs)) throw new CliUsageError('--file must hold a JSON array of CDRs');
  return withDeps(async (deps) => {
    const result = await importCdrs(deps, cdrs, {
      sender: values.sender ? parsePartyRef(values.sender) : undefined,
      receiver: values.receiver ? parsePartyRef(values.receiver) : undefined,
      onProgress: progressBar('publishing CDRs'),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  });
}
