// hub disputes open|resolve|list
import { readFileSync } from 'node:fs';
import { listDisputes, openDispute, resolveAndRefund } from '../clearing/disputes.ts';
import { parsePartyRef } from '../clearing/parties.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

export async function runOpen(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { cpo: { type: 'string' }, cdr: { type: 'string' }, by: { type: 'string' }, reason: { type: 'string' }, evidence: { type: 'string' }, findings: { type: 'string' }, operator: { type: 'boolean' } });
  const cpo = parsePartyRef(requireOption(values.cpo, 'cpo'));
  const body = {
    cdr: { ...cpo, id: requireOption(values.cdr, 'cdr') },
    opened_by: values.by ?? 'hub',
    reason: requireOption(values.reason, 'reason'),
    evidence: values.evidence ? JSON.parse(readFileSync(values.evidence, 'utf8')) : [],
    findings: values.findings ? JSON.parse(readFileSync(values.findings, 'utf8')) : [],
  };
  return withDeps(async (deps) => {
    print(await openDispute(deps.db, body, { operator: values.operator, actor: 'cli' }));
    return 0;
  });
}

export async function runResolve(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { id: { type: 'string' }, outcome: { type: 'string' }, note: { type: 'string' } });
  const id = values.id ?? positionals[0];
  if (!id) throw new CliUsageError('name the dispute: hub disputes resolve --id ID --outcome upheld|rejected');
  const outcome = requireOption(values.outcome, 'outcome');
  if (outcome !== 'upheld' && outcome !== 'rejected') throw new CliUsageError('--outcome is upheld (the eMSP is right) or rejected (the CDR stands)');
  return withDeps(async (deps) => {
    print(await resolveAndRefund(deps, id, outcome, 'cli', values.note, { audit: true }));
    return 0;
  });
}

export async function runList(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { status: { type: 'string' } });
  return withDeps(async (deps) => {
    print(await listDisputes(deps.db, { status: values.status }));
    return 0;
  });
}
