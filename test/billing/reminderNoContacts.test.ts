// A reminder that comes due while the party has no billing contacts reminds nobody: it is recorded
// as such (not as sent), shown to the operator, and goes to the first contact added later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { billingTick } from '../../src/billing/reminders.ts';
import { getAccount } from '../../src/billing/tracking.ts';
import { runWith } from '../../src/cli/statements.ts';
import { clearingConfig } from '../clearing/support.ts';
import { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle } from './support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

let deps: HubDeps;
let sink: SmtpSink;
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('nocontacts');
  sink = await new SmtpSink().start();
  deps = await buildDeps(clearingConfig({ ...ns.env, SMTP_URL: sink.url, BILLING_PAYLINK_WAIT_HOURS: '0' }), createLogger({ level: 'silent' }), 'billing-no-contacts');
});

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await sink?.stop();
  await ns?.drop();
});

const daysAfter = (date: string, days: number) => new Date(Date.parse(`${date}T09:00:00Z`) + days * 86_400_000);
const reminders = (to: string, id: string) => sink.to(to).filter((m) => m.headers.get('x-hub-statement') === id && m.headers.get('x-hub-message-kind') === 'reminder');
const steps = async (id: string) => Object.fromEntries((await deps.db('billing_reminders').where({ statement_id: id }).select('step', 'outcome')).map((r: { step: string; outcome: string }) => [r.step, r.outcome]));

async function show(id: string): Promise<string> {
  let text = '';
  await runWith(deps, ['show', id], { stdout: { write: (chunk: string) => (text += chunk) } });
  return text;
}

describe('a reminder due while the party has no billing contacts', () => {
  it('is recorded as reaching nobody, shown so, and goes to a contact added later', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 1, excl: '30.00' });
    const id = cycle.payerStatement;
    const due = (await getAccount(db, id, new Date('2000-01-01T00:00:00Z'))).due_date;

    const first = await billingTick(deps, { now: daysAfter(due, 3) });
    expect(first.reminders).toMatchObject({ reminders: 0, no_contacts: 1 });
    expect(await steps(id)).toEqual({ 'reminder-1': 'no_contacts' });
    // Said once, not at every tick.
    const again = await billingTick(deps, { now: daysAfter(due, 4) });
    expect(again.reminders).toMatchObject({ reminders: 0, no_contacts: 0, skipped: 0 });
    expect(await db('audit_log').where({ action: 'billing.reminder.no_contacts', subject: id })).toHaveLength(1);
    expect(await show(id)).toMatch(/reminder-1 not sent: no billing contacts/);

    await addContact(db, { party: cycle.emsp, email: 'qw-ap@payer.example', actor: 'test' });
    const later = await billingTick(deps, { now: daysAfter(due, 5) });
    expect(later.reminders).toMatchObject({ reminders: 1, no_contacts: 0 });
    expect(reminders('qw-ap@payer.example', id)).toHaveLength(1);
    expect(await steps(id)).toEqual({ 'reminder-1': 'sent' });

    await billingTick(deps, { now: daysAfter(due, 10) });
    expect(reminders('qw-ap@payer.example', id)).toHaveLength(2);
    expect(await steps(id)).toEqual({ 'reminder-1': 'sent', 'reminder-2': 'sent' });
  });

  it('keeps an earlier step that reached nobody as such when a later one is sent', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 1, excl: '30.00' });
    const id = cycle.payerStatement;
    const due = (await getAccount(db, id, new Date('2000-01-01T00:00:00Z'))).due_date;
    await billingTick(deps, { now: daysAfter(due, 3) });
    await addContact(db, { party: cycle.emsp, email: 'qw-late@payer.example', actor: 'test' });
    await billingTick(deps, { now: daysAfter(due, 11) });
    expect(await steps(id)).toEqual({ 'reminder-1': 'no_contacts', 'reminder-2': 'sent' });
    expect(reminders('qw-late@payer.example', id)).toHaveLength(1);
  });
});
