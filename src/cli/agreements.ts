// hub agreements create|list|end
import { readFileSync } from 'node:fs';
import { agreementHistory, createAgreement, endAgreement, listAgreements, presentAgreement, setPayee } from '../clearing/agreements.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);

export async function runCreate(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    file: { type: 'string' },
    cpo: { type: 'string' },
    emsp: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    currency: { type: 'string', multiple: true },
    'fee-fixed': { type: 'string' },
    'fee-percent': { type: 'string' },
    'fee-payer': { type: 'string' },
    period: { type: 'string' },
    'payment-terms': { type: 'string' },
    'dispute-window': { type: 'string' },
    vat: { type: 'string' },
    reference: { type: 'string' },
    'cpo-paypal': { type: 'string' },
    'emsp-paypal': { type: 'string' },
  });
  const body = values.file
    ? JSON.parse(readFileSync(values.file, 'utf8'))
    : {
        cpo: requireOption(values.cpo, 'cpo'),
        emsp: requireOption(values.emsp, 'emsp'),
        valid_from: values.from ?? new Date().toISOString(),
        valid_to: values.to,
        currencies: (values.currency ?? ['EUR']).flatMap((c) => c.split(',')).map((c) => c.trim().toUpperCase()),
        fee_fixed: values['fee-fixed'] ?? '0',
        fee_percent: values['fee-percent'] ?? '0',
        fee_payer: (values['fee-payer'] ?? 'CPO').toUpperCase(),
        settlement_period: (values.period ?? 'MONTHLY').toUpperCase(),
        payment_terms_days: values['payment-terms'] ? Number(values['payment-terms']) : undefined,
        dispute_window_days: values['dispute-window'] ? Number(values['dispute-window']) : undefined,
        vat_treatment: values.vat ? (values.vat.toUpperCase().startsWith('INCL') ? 'INCL_VAT' : 'EXCL_VAT') : undefined,
        reference: values.reference,
      };
  return withDeps(async (deps) => {
    const agreement = await createAgreement(deps.db, body, 'cli');
    if (values['cpo-paypal']) await setPayee(deps.db, agreement.cpo, values['cpo-paypal'], { actor: 'cli' });
    if (values['emsp-paypal']) await setPayee(deps.db, agreement.emsp, values['emsp-paypal'], { actor: 'cli' });
    print(presentAgreement(agreement));
    return 0;
  });
}

export async function runList(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { party: { type: 'string' }, status: { type: 'string' }, history: { type: 'string' } });
  return withDeps(async (deps) => {
    if (values.history) print(await agreementHistory(deps.db, values.history));
    else print((await listAgreements(deps.db, { party: values.party, status: values.status?.toUpperCase() as 'ACTIVE' | 'ENDED' | undefined })).map(presentAgreement));
    return 0;
  });
}

export async function runEnd(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { id: { type: 'string' }, at: { type: 'string' }, reason: { type: 'string' } });
  const id = values.id ?? positionals[0];
  if (!id) throw new CliUsageError('name the agreement: hub agreements end --id ID [--at DATE] [--reason TEXT]');
  return withDeps(async (deps) => {
    print(presentAgreement(await endAgreement(deps.db, id, { at: values.at ? new Date(values.at) : undefined, actor: 'cli', reason: values.reason })));
    return 0;
  });
}
