// hub clearing open|close|net|statements|settle|status|reconcile|refunds
// Each step that changes something writes its audit row (clearing.*) as the actor `cli`, as the
// other operator commands do; status, reconcile and a refunds listing only read.
import type { HubDeps } from '../deps.ts';
import { atLeast, closeCycles, getCycle, listCycles, openCycles, presentCycle, selectCycles } from '../clearing/cycles.ts';
import { bankSettlements, outsidePayPalReason } from '../clearing/bankSettlement.ts';
import { paypalSupports } from '../clearing/paypal/currencies.ts';
import { netCycles } from '../clearing/cycleNetter.ts';
import { generateStatements, listStatements } from '../clearing/statements.ts';
import type { StatementFormat } from '../clearing/statementFiles.ts';
import { paymentsOf, settleCycles } from '../clearing/settlement.ts';
import { reconcileCycle } from '../clearing/reconcile.ts';
import { listRefunds, retryRefunds } from '../clearing/refunds.ts';
import { paypalOf, unconfiguredPayPal } from '../clearing/paypal/fromConfig.ts';
import { missingPayPalVariables, settleRefusal } from '../clearing/paypal/configured.ts';
import { progressBar } from '../clearing/progress.ts';
import { parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
const ACTOR = 'cli';
const selector = { cycle: { type: 'string' }, period: { type: 'string' }, currency: { type: 'string' } } as const;

async function chosen(deps: HubDeps, values: { cycle?: string; period?: string; currency?: string }) {
  return selectCycles(deps.db, { cycle: values.cycle, period: values.period, currency: values.currency?.toUpperCase() });
}

export const hubOf = (deps: HubDeps) => ({ name: deps.config.HUB_NAME, party: `${deps.config.HUB_COUNTRY_CODE}-${deps.config.HUB_PARTY_ID}` });

export async function runOpen(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { period: { type: 'string' }, currency: { type: 'string' } });
  return withDeps(async (deps) => {
    print((await openCycles(deps.db, requireOption(values.period, 'period'), values.currency, ACTOR)).map(presentCycle));
    return 0;
  });
}

export async function runClose(args: string[]): Promise<number> {
  const { values } = parseOptions(args, selector);
  return withDeps(async (deps) => {
    print((await closeCycles(deps.db, (await chosen(deps, values)).map((c) => c.id), ACTOR)).map(presentCycle));
    return 0;
  });
}

export async function runNet(args: string[]): Promise<number> {
  const { values } = parseOptions(args, selector);
  return withDeps(async (deps) => {
    const bar = progressBar('netting');
    const cycles = await chosen(deps, values);
    bar(0, cycles.length);
    const report = await netCycles(deps.db, cycles.map((c) => c.id), ACTOR);
    bar(cycles.length, cycles.length);
    print(report);
    return 0;
  });
}

export async function runStatements(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { ...selector, out: { type: 'string' }, format: { type: 'string', multiple: true } });
  return withDeps(async (deps) => {
    const cycles = await chosen(deps, values);
    const generated = await generateStatements(deps.db, cycles.map((c) => c.id), hubOf(deps), ACTOR);
    if (values.out) {
      const formats = (values.format ?? ['json', 'csv', 'pdf']).flatMap((f) => f.split(',')) as StatementFormat[];
      const all = (await Promise.all(cycles.map((c) => listStatements(deps.db, { cycle: c.id })))).flat();
      const { writeStatementFiles } = await import('../clearing/statementFiles.ts');
      await writeStatementFiles(deps.db, all.map((s) => s.id), values.out, formats, progressBar('writing statements'));
    }
    print(generated);
    return 0;
  });
}

export async function runSettle(args: string[]): Promise<number> {
  const { values } = parseOptions(args, selector);
  return withDeps(async (deps) => {
    const cycles = await chosen(deps, values);
    const refusal = settleRefusal(deps.config, cycles);
    if (refusal) {
      process.stderr.write(`hub: ${refusal}\n`);
      return 1;
    }
    // Only bank-transfer cycles: no PayPal account is needed, and none is reached.
    const missing = missingPayPalVariables(deps.config);
    const paypal = missing.length ? unconfiguredPayPal(missing) : await paypalOf(deps.config);
    const reports = await settleCycles(deps.db, paypal, cycles, { onProgress: progressBar('settling'), actor: ACTOR });
    print(reports);
    return reports.some((r) => r.errors.length) ? 1 : 0;
  });
}

export async function runStatus(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { ...selector, payments: { type: 'boolean' } });
  return withDeps(async (deps) => {
    const cycles = values.cycle || values.period ? await chosen(deps, values) : await listCycles(deps.db);
    const out = [];
    for (const c of cycles) {
      const entry: Record<string, unknown> = presentCycle(c);
      if (!paypalSupports(c.currency) && atLeast(c.state, 'netted')) entry.outside_paypal = { currency: c.currency, reason: outsidePayPalReason(c.currency), statements: await bankSettlements(deps.db, c) };
      if (values.payments) {
        entry.payments = await paymentsOf(deps.db, c.id);
        entry.refunds = await listRefunds(deps.db, { cycle: c.id });
      }
      out.push(entry);
    }
    print(out);
    return 0;
  });
}

export async function runReconcile(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { cycle: { type: 'string' } });
  return withDeps(async (deps) => {
    const paypal = await paypalOf(deps.config);
    const report = await reconcileCycle(deps.db, paypal, requireOption(values.cycle, 'cycle'));
    print(report);
    return report.mismatches.length ? 1 : 0;
  });
}

export async function runRefunds(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { cycle: { type: 'string' }, retry: { type: 'boolean' } });
  return withDeps(async (deps) => {
    const cycle = values.cycle ? (await getCycle(deps.db, values.cycle)).id : undefined;
    let errors: string[] = [];
    if (values.retry) errors = (await retryRefunds(deps.db, await paypalOf(deps.config), { cycle }, ACTOR)).errors;
    print(await listRefunds(deps.db, { cycle }));
    for (const e of errors) process.stderr.write(`hub: ${e}\n`);
    return errors.length ? 1 : 0;
  });
}
