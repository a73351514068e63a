// Payment tracking and overdue reminders: statuses as payments arrive, reminder steps on the
// agreement's schedule (each once, only the latest when several are due), the late fee booked in
// the ledger, escalation to the operator, and silence once the balance is zero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { billingTick } from '../../src/billing/reminders.ts';
import { accountHistory, getAccount, recordBankTransfer, setTerms, writeOff } from '../../src/billing/tracking.ts';
import { balances, HUB, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { clearingConfig } from '../clearing/support.ts';
import { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle } from './support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

let deps: HubDeps;
let sink: SmtpSink;
// Ticks run at far-off dates act on every statement of their database: not on other files'.
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('reminders');
  sink = await new SmtpSink().start();
  deps = await buildDeps(clearingConfig({ ...ns.env, SMTP_URL: sink.url, BILLING_ESCALATION_EMAIL: 'settlement@hub.example', BILLING_PAYLINK_WAIT_HOURS: '0' }), createLogger({ level: 'silent' }), 'billing-reminders');
});

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await sink?.stop();
  await ns?.drop();
});

const daysAfter = (date: string, days: number) => new Date(Date.parse(`${date}T09:00:00Z`) + days * 86_400_000);
const reminders = (to: string, id: string) => sink.to(to).filter((m) => m.headers.get('x-hub-statement') === id && m.headers.get('x-hub-message-kind') === 'reminder');

describe('payment tracking and reminders', () => {
  it('reminds on day 3 and 10 with the late fee booked once, takes a partial bank transfer, stops when paid', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 2, excl: '50.00' });
    await setTerms(db, cycle.agreementId, { lateFeeFixed: '5', lateFeePercent: '2' }, 'test');
    await addContact(db, { party: cycle.emsp, email: 'ap@payer.example', actor: 'test' });
    const id = cycle.payerStatement;
    const start = await getAccount(db, id, new Date('2000-01-01T00:00:00Z'));
    expect(start).toMatchObject({ direction: 'party_pays', status: 'open', paid: '0.00', charges: '0.00' });
    const due = start.due_date;
    const amount = BigInt(start.amount_due.replace('.', ''));

    await billingTick(deps, { now: daysAfter(due, 2) });
    expect(reminders('ap@payer.example', id)).toHaveLength(0);
    expect((await getAccount(db, id, daysAfter(due, 2))).status).toBe('overdue');

    await billingTick(deps, { now: daysAfter(due, 3) });
    await billingTick(deps, { now: daysAfter(due, 4) });
    const first = reminders('ap@payer.example', id);
    expect(first).toHaveLength(1);
    // Late fee: 5 + 2 % of the amount due, in cents.
    const fee = 500n + (amount * 2n) / 100n;
    const withFee = await getAccount(db, id, daysAfter(due, 4));
    expect(withFee.charges).toBe(`${fee / 100n}.${String(fee % 100n).padStart(2, '0')}`);
    expect(first[0].text).toContain(`Open balance: ${withFee.balance} EUR (including a late fee of ${withFee.charges} EUR)`);
    expect(first[0].text).toMatch(/is [34] days overdue/);
    expect(await unbalancedEntries(db)).toEqual([]);
    const hubFees = (await balances(db, { owner: HUB })).find((b) => b.kind === 'fees' && b.currency === 'EUR');
    expect(hubFees).toBeDefined();

    // Part paid by bank transfer (idempotent on the reference), still overdue.
    const half = `${(Number(withFee.balance) / 2).toFixed(2)}`;
    await recordBankTransfer(db, { statementId: id, amount: half, reference: 'BANK-REF-1', actor: 'settlement' });
    const again = await recordBankTransfer(db, { statementId: id, amount: half, reference: 'BANK-REF-1', actor: 'settlement' });
    expect(again.duplicate).toBe(true);
    await expect(recordBankTransfer(db, { statementId: id, amount: '99999.00', reference: 'BANK-REF-2', actor: 'settlement' })).rejects.toThrow(/more than the balance/);
    expect((await getAccount(db, id, daysAfter(due, 5))).status).toBe('overdue');

    await billingTick(deps, { now: daysAfter(due, 10) });
    const second = reminders('ap@payer.example', id);
    expect(second).toHaveLength(2);
    expect(second[1].text).toContain(`Received so far: ${half} EUR`);

    // The rest arrives: paid; no reminder on day 20, no escalation on day 30.
    const rest = (await getAccount(db, id, daysAfter(due, 11))).balance;
    await recordBankTransfer(db, { statementId: id, amount: rest, reference: 'BANK-REF-3', actor: 'settlement' });
    expect(await getAccount(db, id, daysAfter(due, 11))).toMatchObject({ status: 'paid', balance: '0.00' });
    await billingTick(deps, { now: daysAfter(due, 20) });
    await billingTick(deps, { now: daysAfter(due, 31) });
    expect(reminders('ap@payer.example', id)).toHaveLength(2);
    expect(sink.to('settlement@hub.example').filter((m) => m.headers.get('x-hub-statement') === id)).toHaveLength(0);
    const history = await accountHistory(db, id);
    expect(history.payments.map((p) => p.reference)).toEqual(['BANK-REF-1', 'BANK-REF-3']);
    expect(history.reminders.map((r) => [r.step, r.outcome])).toEqual([['reminder-1', 'sent'], ['reminder-2', 'sent']]);
    expect(await unbalancedEntries(db)).toEqual([]);
  });

  it('sends only the latest due step after a pause, then escalates to the operator once; a write-off ends it', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 1 });
    await setTerms(db, cycle.agreementId, { reminderDays: [1, 5], escalationDays: 8 }, 'test');
    await addContact(db, { party: cycle.emsp, email: 'late@payer.example', actor: 'test' });
    const id = cycle.payerStatement;
    const { due_date: due } = await getAccount(db, id);
    await billingTick(deps, { now: daysAfter(due, 6) });
    expect(reminders('late@payer.example', id)).toHaveLength(1);
    expect((await accountHistory(db, id)).reminders.map((r) => [r.step, r.outcome])).toEqual([['reminder-1', 'skipped'], ['reminder-2', 'sent']]);
    await billingTick(deps, { now: daysAfter(due, 9) });
    await billingTick(deps, { now: daysAfter(due, 12) });
    const escalations = sink.to('settlement@hub.example').filter((m) => m.headers.get('x-hub-statement') === id);
    expect(escalations).toHaveLength(1);
    expect(escalations[0].subject).toContain(cycle.emsp);
    expect(escalations[0].text).toContain('Reminders sent: 1.'); // reminder-1 was skipped, reminder-2 sent
    expect((await getAccount(db, id, daysAfter(due, 12))).escalated_at).not.toBeNull();
    const written = await writeOff(db, { statementId: id, actor: 'settlement', note: 'insolvent' });
    expect(written.status).toBe('written_off');
    expect(await unbalancedEntries(db)).toEqual([]);
  });

  it('sends neither reminder nor escalation that waited for a retry once the statement is paid', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 1 });
    await setTerms(db, cycle.agreementId, { reminderDays: [1], escalationDays: 2 }, 'test');
    await addContact(db, { party: cycle.emsp, email: 'qp.ap@payer.example', actor: 'test' });
    const id = cycle.payerStatement;
    const { due_date: due } = await getAccount(db, id);
    sink.fail(451, 3); // statement, reminder and escalation: each refused for now
    await billingTick(deps, { now: daysAfter(due, 3), deliver: { retryDelayMs: 1 } });
    const waiting = await db('billing_messages').where({ statement_id: id }).whereIn('kind', ['reminder', 'escalation']).select('kind', 'status');
    expect(waiting.map((m) => [m.kind, m.status]).sort()).toEqual([['escalation', 'pending'], ['reminder', 'pending']]);

    // The payer pays in full before the server is back.
    const { balance } = await getAccount(db, id, daysAfter(due, 3));
    await recordBankTransfer(db, { statementId: id, amount: balance, reference: 'QP-BANK-1', actor: 'settlement' });
    await billingTick(deps, { now: new Date(Date.now() + 3600_000), deliver: { retryDelayMs: 1 } });
    expect(reminders('qp.ap@payer.example', id)).toHaveLength(0);
    expect(sink.to('settlement@hub.example').filter((m) => m.headers.get('x-hub-statement') === id)).toHaveLength(0);
    const done = await db('billing_messages').where({ statement_id: id }).whereIn('kind', ['reminder', 'escalation']).select('kind', 'status', 'last_error');
    expect(done.map((m) => [m.kind, m.status]).sort()).toEqual([['escalation', 'cancelled'], ['reminder', 'cancelled']]);
  });
});
