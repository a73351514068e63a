// hub cdrs import --file FILE [--sender CC-PID --receiver CC-PID] [--skip-invalid]: publishes CDRs
// (a JSON array) onto the OCPI stream as the routing layer would, for the clearing booker. Each CDR
// is first checked by the rules of a CDR POST; if any is invalid, every one is reported (index, id,
// field, reason) and none is published, or with --skip-invalid only the valid ones are. Invalid
// input exits 1 either way.
import { readFileSync } from 'node:fs';
import { importCdrs } from '../clearing/cdrImport.ts';
import { describeInvalidCdr, invalidCdrs } from '../clearing/cdrImportCheck.ts';
import { parsePartyRef } from '../clearing/parties.ts';
import { progressBar } from '../clearing/progress.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { file: { type: 'string' }, sender: { type: 'string' }, receiver: { type: 'string' }, 'skip-invalid': { type: 'boolean' } });
  const cdrs = JSON.parse(readFileSync(requireOption(values.file, 'file'), 'utf8'));
  if (!Array.isArray(cdrs)) throw new CliUsageError('--file must hold a JSON array of CDRs');
  const sender = values.sender ? parsePartyRef(values.sender) : undefined;
  const receiver = values.receiver ? parsePartyRef(values.receiver) : undefined;
  const invalid = invalidCdrs(cdrs);
  for (const c of invalid) process.stderr.write(`hub: invalid ${describeInvalidCdr(c)}\n`);
  if (invalid.length && !values['skip-invalid']) {
    process.stderr.write(`hub: nothing published: ${invalid.length} of ${cdrs.length} CDRs are invalid (correct them, or publish only the valid ones with --skip-invalid)\n`);
    return 1;
  }
  const skipped = new Set(invalid.map((c) => c.index));
  const valid = cdrs.filter((_, i) => !skipped.has(i));
  return withDeps(async (deps) => {
    const result = await importCdrs(deps, valid, { sender, receiver, onProgress: progressBar('publishing CDRs') });
    process.stdout.write(`${JSON.stringify({ ...result, skipped_invalid: invalid.map((c) => ({ index: c.index, id: c.id, errors: c.errors })) })}\n`);
    return invalid.length ? 1 : 0;
  });
}
