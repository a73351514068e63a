// A billing tick reads only the statements that can still need a reminder or an escalation: not
// those paid in full, written off, escalated already (unless their latest reminder reached nobody),
// not yet due, or paid by the hub. Checked by what the tick asks Postgres about, not by timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { billingTick, runReminders } from '../../src/billing/reminders.ts';
import { reminderCandidates } from '../../src/billing/reminderCandidates.ts';
import { getAccount, recordBankTransfer, writeOff } from '../../src/billing/tracking.ts';
import { clearingConfig } from '../clearing/support.ts';
import { aBilledCycle, aFuturePeriod, type BilledCycle } from './support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

let deps: HubDeps;
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('candidates');
  deps = await buildDeps(clearingConfig({ ...ns.env, BILLING_PAYLINK_WAIT_HOURS: '0' }), createLogger({ level: 'silent' }), 'billing-candidates');
});

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await ns?.drop();
});

const dueOf = async (id: string) => (await getAccount(deps.db, id, new Date('2000-01-01T00:00:00Z'))).due_date;
const dayAfter = (date: string, days: number) => new Date(Date.parse(`${date}T09:00:00Z`) + days * 86_400_000);

/** Every statement id a call hands to Postgres as a query parameter. */
async function statementsRead(ids: string[], run: () => Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>();
  const listener = (q: { bindings?: unknown[] }) => {
    for (const b of q.bindings ?? []) if (typeof b === 'string' && ids.includes(b)) seen.add(b);
  };
  deps.db.on('query', listener);
  try {
    await run();
  } finally {
    deps.db.off('query', listener);
  }
  return [...seen].sort();
}

describe('the statements a billing tick reads', () => {
  it('are only those that can still need a reminder or an escalation', async () => {
    const db = deps.db;
    // Escalated already: one whose reminders reached its contact, one whose last reached nobody.
    const escalated = await aBilledCycle(db, { cdrs: 1 });
    const unreached = await aBilledCycle(db, { cdrs: 1 });
    await addContact(db, { party: escalated.emsp, email: 'qt-ap@payer.example', actor: 'test' });
    const latest = [await dueOf(escalated.payerStatement), await dueOf(unreached.payerStatement)].sort().at(-1)!;
    await billingTick(deps, { now: dayAfter(latest, 40) });
    expect((await getAccount(db, escalated.payerStatement)).escalated_at).not.toBeNull();

    const overdue = await aBilledCycle(db, { cdrs: 1 });
    const partly = await aBilledCycle(db, { cdrs: 1 });
    const paid = await aBilledCycle(db, { cdrs: 1 });
    const writtenOff = await aBilledCycle(db, { cdrs: 1 });
    const notDue = await aBilledCycle(db, { cdrs: 1, period: aFuturePeriod() });
    await recordBankTransfer(db, { statementId: partly.payerStatement, amount: '1.00', reference: 'QT-PART', actor: 'test' });
    await recordBankTransfer(db, { statementId: paid.payerStatement, amount: (await getAccount(db, paid.payerStatement)).balance, reference: 'QT-PAID', actor: 'test' });
    await writeOff(db, { statementId: writtenOff.payerStatement, note: 'QT bad debt', actor: 'test' });

    const all: BilledCycle[] = [escalated, unreached, overdue, partly, paid, writtenOff, notDue];
    const ids = all.flatMap((c) => [c.payerStatement, c.payeeStatement]);
    const wanted = [unreached.payerStatement, overdue.payerStatement, partly.payerStatement].sort();
    const today = new Date();

    expect((await reminderCandidates(db, today.toISOString().slice(0, 10))).map((c) => c.statement_id).sort()).toEqual(wanted);
    expect(await statementsRead(ids, () => runReminders(deps, today))).toEqual(wanted);
  });
});
