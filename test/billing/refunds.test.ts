// Payment tracking of statements touched by refunds (disputes an eMSP won after paying), against
// real Postgres and the PayPal stand-in: the statement whose payment was refunded stays paid and
// lists the refund; the next statement, whose amount due charges the refund against the dispute's
// credit, leaves a refund PayPal has not paid out yet out of its balance, so the eMSP is neither
// reminded, charged a late fee nor allowed to pay for money it has not received; once PayPal pays
// the refund, the balance is the whole amount due again. Reminders run at far-off dates over every
// statement of their database, so this file bills in a namespace of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { runReminders } from '../../src/billing/reminders.ts';
import { accountHistory, ensureTracked, getAccount, recordBankTransfer, setTerms } from '../../src/billing/tracking.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { issueRefunds, listRefunds } from '../../src/clearing/refunds.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, statementId } from '../../src/clearing/statements.ts';
import { formatUnits, toMinorUnits, toUnits } from '../../src/clearing/money.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { unbalancedEntries } from '../../src/clearing/ledger.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aCdr, aPaidCycle, cdrMessage, clearingConfig, type PaidCycle } from '../clearing/support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

// A currency of its own: no other test file clears PLN. Each test takes two months.
const CURRENCY = 'PLN';
let month = 0;
const aPeriod = () => {
  const at = month;
  month += 2;
  return `2073-${String(1 + at).padStart(2, '0')}`;
};

let namespace: OwnNamespace;
let deps: HubDeps;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;

beforeAll(async () => {
  namespace = await ownNamespace('billrefunds');
  deps = await buildDeps(clearingConfig(namespace.env), createLogger({ level: 'silent' }), 'billing-refunds');
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn?.stop();
  if (deps) await closeDeps(deps);
  await namespace?.drop();
});

const cents = (units: bigint) => formatUnits(units, 2);
const daysAfter = (date: string, days: number) => new Date(Date.parse(`${date}T09:00:00Z`) + days * 86_400_000);

async function disputeWon(paid: PaidCycle, cdrIndex: number) {
  const { db } = deps;
  const dispute = await openDispute(db, { cdr: { ...parsePartyRef(paid.cpo), id: paid.cdrs[cdrIndex].id }, opened_by: paid.emsp, reason: 'charged for a session that never started' });
  const booking = await db('clearing_bookings').where({ cdr_id: paid.cdrs[cdrIndex].id }).first();
  const { refund } = await resolveDispute(db, dispute.id, 'upheld', 'test', undefined, { paypal });
  return { refund: refund!, refunded: toMinorUnits(BigInt(booking.amount) + BigInt(booking.fee_emsp), CURRENCY).settle };
}

/** The next month's cycle (which carries the dispute's reversal and the refund), with more CDRs of the pair if given. */
async function clearNext(paid: PaidCycle, excl: string[] = []) {
  const period = nextPeriod(paid.period);
  await bookCdrs(deps.db, excl.map((e, i) => cdrMessage(aCdr(paid.cpo, { currency: CURRENCY, excl: e, end: `${period}-${String(10 + i).padStart(2, '0')}T12:00:00Z` }), paid.emsp)));
  const [next] = await openCycles(deps.db, period, CURRENCY);
  await closeCycles(deps.db, [next.id]);
  await netCycles(deps.db, [next.id]);
  await generateStatements(deps.db, [next.id], { name: 'Test Hub', party: 'NL-HUB' });
  await ensureTracked(deps.db);
  return statementId({ period, currency: CURRENCY }, paid.emsp);
}

describe('refunds in payment tracking', () => {
  it('keeps the refunded payment’s statement paid, lists the refund there and where it is netted, and dates the payment when it was received', async () => {
    const { db } = deps;
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['20.0000', '12.0000'] });
    const { refund, refunded } = await disputeWon(paid, 0);
    expect(refund.state).toBe('completed');
    await ensureTracked(db);

    const st = refund.statement_id;
    const account = await getAccount(db, st, daysAfter('2100-01-01', 0));
    // Paid in full, part of it returned: not reopened (the next statement nets the refund), not credited either.
    expect(account).toMatchObject({ direction: 'party_pays', status: 'paid', paid: account.amount_due, refunded: cents(refunded), refunds_pending: '0.00', balance: '0.00' });
    await runReminders(deps, daysAfter(account.due_date, 40));
    expect((await accountHistory(db, st)).reminders).toEqual([]);
    expect((await accountHistory(db, st)).refunds).toEqual([expect.objectContaining({ refund_id: refund.id, relation: 'of_payment', amount: cents(refunded), state: 'completed', paypal_refund_id: refund.paypal_refund_id, netted_on_statement: null })]);

    // The capture is dated when the ledger booked it, not when part of it was refunded.
    const payment = await db('clearing_payments').where({ statement_id: st, direction: 'collect' }).first();
    const captured = await db('ledger_entries').where({ ref: `collect:${payment.id}:captured` }).first();
    const [received] = (await accountHistory(db, st)).payments;
    expect(received).toMatchObject({ method: 'paypal', reference: payment.capture_id, amount: account.amount_due, received_at: captured.created_at.toISOString() });
    expect(Date.parse(received.received_at)).toBeLessThan(Date.parse(refund.completed_at!));

    const next = await clearNext(paid);
    expect((await accountHistory(db, st)).refunds).toEqual([expect.objectContaining({ relation: 'of_payment', netted_on_statement: next })]);
    expect((await accountHistory(db, next)).refunds).toEqual([expect.objectContaining({ refund_id: refund.id, relation: 'netted', paid_with_statement: st, netted_on_statement: next })]);
    expect(await getAccount(db, next)).toMatchObject({ refunds_pending: '0.00', refunded: '0.00' });
  });

  it('does not chase the eMSP for a refund PayPal has not paid yet, and does once it has', async () => {
    const { db } = deps;
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['30.0000'] });
    // PayPal is down for every try of the hub's client.
    standIn.inject({ match: /POST \/v2\/payments\/captures\/[^/]+\/refund$/, kind: 503, times: 5 });
    const { refund, refunded } = await disputeWon(paid, 0);
    expect(refund.state).toBe('created');
    // The eMSP charges more in the next month, so it pays that statement: new CDRs, less the dispute's credit, plus the refund.
    const next = await clearNext(paid, ['50.0000']);
    await setTerms(db, (await db('clearing_agreements').whereRaw("emsp_country_code || '-' || emsp_party_id = ?", [paid.emsp]).first('id')).id, { lateFeePercent: '10' }, 'test');

    const due = (await getAccount(db, next)).due_date;
    const pending = await getAccount(db, next, daysAfter(due, 1));
    const amountDue = toUnits(pending.amount_due);
    expect(pending).toMatchObject({ direction: 'party_pays', refunds_pending: cents(refunded), balance: cents(amountDue - refunded), status: 'overdue' });
    expect(await getAccount(db, refund.statement_id)).toMatchObject({ status: 'paid', balance: '0.00', refunded: '0.00' });

    // Reminded for what it owes without the refund, and the late fee (10 %) on that too.
    await addContact(db, { party: paid.emsp, email: `ap-${paid.emsp.toLowerCase()}@refunds.example`, actor: 'test' });
    await runReminders(deps, daysAfter(due, 3));
    expect((await accountHistory(db, next)).reminders).toEqual([expect.objectContaining({ step: 'reminder-1', outcome: 'sent' })]);
    const lateFee = ((amountDue - refunded) / 10n / 100n) * 100n;
    const reminded = await getAccount(db, next, daysAfter(due, 3));
    expect(reminded).toMatchObject({ charges: cents(lateFee), balance: cents(amountDue - refunded + lateFee) });
    await expect(recordBankTransfer(db, { statementId: next, amount: cents(amountDue + lateFee), reference: `TOO-MUCH-${next}`, actor: 'settlement' })).rejects.toThrow(/more than the balance/);

    // PayPal pays the refund: the eMSP has had the money, so the whole amount due is owed.
    const run = await issueRefunds(db, paypal, { ids: [refund.id] });
    expect(run.refunds).toEqual([expect.objectContaining({ state: 'completed', netted_on_statement: next })]);
    const settled = await getAccount(db, next, daysAfter(due, 4));
    expect(settled).toMatchObject({ refunds_pending: '0.00', balance: cents(amountDue + lateFee), status: 'overdue' });
    expect(await getAccount(db, refund.statement_id)).toMatchObject({ status: 'paid', balance: '0.00', refunded: cents(refunded) });
    await recordBankTransfer(db, { statementId: next, amount: settled.balance, reference: `PAID-${next}`, actor: 'settlement' });
    expect(await getAccount(db, next, daysAfter(due, 5))).toMatchObject({ status: 'paid', balance: '0.00' });
    expect((await listRefunds(db, { ids: [refund.id] }))[0].state).toBe('completed');
    expect(await unbalancedEntries(db)).toEqual([]);
  });
});
