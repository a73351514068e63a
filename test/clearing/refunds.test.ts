// Refunds when an eMSP wins a dispute after paying for the CDR, against real Postgres and the
// PayPal stand-in over HTTP: the capture is refunded once (deterministic PayPal-Request-Id, 5xx
// retried with it, reruns issue nothing), the ledger stays balanced, the next cycle charges the
// CPO back without paying the eMSP a second time, and reconciliation matches the refund at PayPal
// (and reports it when either side is tampered with).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { issueRefunds, listRefunds } from '../../src/clearing/refunds.ts';
import { closeCycles, getCycle, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, getStatement, statementCsv, statementId } from '../../src/clearing/statements.ts';
import { statementPdf } from '../../src/clearing/statementPdf.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { reconcileCycle } from '../../src/clearing/reconcile.ts';
import { balances, HUB, ledgerTotals, postEntries, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { formatUnits, toMinorUnits, toUnits } from '../../src/clearing/money.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aPaidCycle, approveOrdersOf, clearingDb, type PaidCycle } from './support.ts';

let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
// Months and a currency of their own: no other test file clears these. Each test takes two
// months, its paid cycle and the next one (where reversals and refunds are netted).
let month = 0;
const aPeriod = () => {
  const at = month;
  month += 2;
  return `${2050 + Math.floor(at / 12)}-${String(1 + (at % 12)).padStart(2, '0')}`;
};
const CURRENCY = 'CHF';

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

const refundPosts = (requestId: string) => standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/refund') && r.requestId === requestId);

async function disputeWon(paid: PaidCycle, cdrIndex: number, options: { paypal?: PayPalGateway } = { paypal }) {
  const cdr = paid.cdrs[cdrIndex];
  const dispute = await openDispute(db, { cdr: { ...parsePartyRef(paid.cpo), id: cdr.id }, opened_by: paid.emsp, reason: 'charged for a session that failed to start', evidence: [{ type: 'log', ref: 'ticket-1' }] });
  expect(dispute.suspended).toBe(false);
  const booking = await db('clearing_bookings').where({ cdr_id: cdr.id }).first();
  const resolved = await resolveDispute(db, dispute.id, 'upheld', 'test', 'session failed', options);
  return { dispute, booking, resolved };
}

/** The next period's cycle of the currency, taken through netting and statements. */
async function clearNext(paid: PaidCycle) {
  const [next] = await openCycles(db, nextPeriod(paid.period), paid.currency);
  await closeCycles(db, [next.id]);
  await netCycles(db, [next.id]);
  await generateStatements(db, [next.id], { name: 'Test Hub', party: 'NL-HUB' });
  const positions: { party: string; net: string; carried_in: string }[] = await db('clearing_positions').where({ cycle_id: next.id });
  // What this cycle adds to each position, without the sub-cent residuals carried in from the paid cycle.
  const own = new Map(positions.map((p) => [p.party, BigInt(p.net) - BigInt(p.carried_in)]));
  return { next, positions, own };
}

async function ledgerSound() {
  expect(await unbalancedEntries(db)).toEqual([]);
  for (const [currency, total] of await ledgerTotals(db)) expect([currency, total]).toEqual([currency, 0n]);
}

describe('a dispute the eMSP wins after paying', () => {
  it('refunds the capture once, with a deterministic request id and 5xx retried, and charges the CPO back in its next cycle', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['10.0000', '7.3333', '25.5000'] });
    const payment = await db('clearing_payments').where({ cycle_id: paid.cycleId, party: paid.emsp, direction: 'collect' }).first();
    expect(payment.status).toBe('completed');

    standIn.inject({ match: /POST \/v2\/payments\/captures\/[^/]+\/refund$/, kind: 503 });
    const { dispute, booking, resolved } = await disputeWon(paid, 1);
    // The eMSP paid the CDR's settled amount (incl. VAT) plus its share of the hub fee; refunded in whole cents.
    const charged = BigInt(booking.amount) + BigInt(booking.fee_emsp);
    const refunded = toMinorUnits(charged, CURRENCY).settle;
    expect(resolved.refund).toMatchObject({ state: 'completed', amount: formatUnits(refunded, 2), currency: CURRENCY, capture_id: payment.capture_id, request_id: `refund-${dispute.id}`, statement_id: statementId({ period: paid.period, currency: CURRENCY }, paid.emsp) });

    // At PayPal: one refund of the right capture, amount and currency; the 503 was retried with the same request id.
    const atPayPal = [...standIn.refunds.values()].filter((r) => r.capture_id === payment.capture_id);
    expect(atPayPal).toHaveLength(1);
    expect(atPayPal[0]).toMatchObject({ id: resolved.refund!.paypal_refund_id, status: 'COMPLETED', amount: { currency_code: CURRENCY, value: formatUnits(refunded, 2) } });
    expect(refundPosts(`refund-${dispute.id}`)).toHaveLength(2);

    // Reruns issue nothing new.
    const again = await resolveDispute(db, dispute.id, 'upheld', 'test', undefined, { paypal });
    expect(again.refund).toMatchObject({ id: resolved.refund!.id, state: 'completed', paypal_refund_id: resolved.refund!.paypal_refund_id });
    expect((await issueRefunds(db, paypal, { cycle: paid.cycleId })).refunds).toEqual([]);
    expect(refundPosts(`refund-${dispute.id}`)).toHaveLength(2);
    expect([...standIn.refunds.values()].filter((r) => r.capture_id === payment.capture_id)).toHaveLength(1);
    await expect(db('clearing_refunds').insert({ dispute_id: dispute.id, payment_id: payment.id, amount: '100', request_id: 'again', status: 'created', party: paid.emsp, currency: CURRENCY, capture_id: payment.capture_id, booking_id: booking.id })).rejects.toThrow(/unique|duplicate/);

    await ledgerSound();
    const report = await reconcileCycle(db, paypal, paid.cycleId);
    expect(report.mismatches).toEqual([]);
    expect(report).toMatchObject({ checked_refunds: 1 });

    // The next cycle: the CPO owes back what it was paid for the CDR; the eMSP gets nothing twice
    // (its credit was refunded), only the sub-cent remainder of what it was charged.
    const { next, positions, own } = await clearNext(paid);
    const cpoClawback = BigInt(booking.amount) - BigInt(booking.fee_cpo);
    expect(own.get(paid.cpo)).toBe(-cpoClawback);
    expect(own.get(paid.emsp)).toBe(charged - refunded);
    expect(positions.reduce((s, p) => s + BigInt(p.net), 0n)).toBe(0n);

    // The eMSP's next statement shows the refund, as a line against the hub and in its own list.
    const st = await getStatement(db, statementId(next, paid.emsp));
    expect(st.refunds).toEqual([expect.objectContaining({ refund_id: resolved.refund!.id, dispute_id: dispute.id, amount: formatUnits(refunded), state: 'completed', paypal_refund_id: resolved.refund!.paypal_refund_id, paid_with_statement: resolved.refund!.statement_id })]);
    expect(st.counterparties.find((l) => l.counterparty === HUB)).toMatchObject({ role: 'EMSP', amount: formatUnits(-refunded), counterparty_name: 'Test Hub (refunds paid through PayPal)' });
    expect(st.counterparties.find((l) => l.counterparty === paid.cpo)).toMatchObject({ amount: formatUnits(BigInt(booking.amount)), hub_fee: formatUnits(BigInt(booking.fee_emsp)) });
    const csv: string[] = [];
    for await (const chunk of statementCsv(db, st.statement_id)) csv.push(chunk);
    expect(csv.join('')).toContain(`"refund","${resolved.refund!.id}"`);
    expect(csv.join('').split('\r\n').filter((l) => l.startsWith('"cdr"') && l.includes('"refund"'))).toHaveLength(1);
    const pdf = await statementPdf(db, st.statement_id);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // The CPO pays its clawback; then the hub is square in this currency: its PayPal cash moved
    // exactly as PayPal shows, and its own clearing accounts are back at zero.
    await settleCycles(db, paypal, [await getCycle(db, next.id)]);
    approveOrdersOf(standIn, statementId(next, paid.cpo));
    const [settled] = await settleCycles(db, paypal, [await getCycle(db, next.id)]);
    expect(settled.state).toBe('settled');
    await ledgerSound();
    const hub = new Map((await balances(db, { owner: HUB, currency: CURRENCY })).map((b) => [b.kind, b.balance]));
    const paypalMoves = standIn.transactions.filter((t) => t.amount.currency_code === CURRENCY).reduce((s, t) => s + toUnits(t.amount.value), 0n);
    expect(hub.get('cash')).toBe(paypalMoves);
    for (const kind of ['settlement', 'payable', 'receivable', 'in_transit'] as const) expect([kind, hub.get(kind) ?? 0n]).toEqual([kind, 0n]);
    for (const cycle of [paid.cycleId, next.id]) expect((await reconcileCycle(db, paypal, cycle)).mismatches).toEqual([]);
  });

  it('keeps a refund outstanding when PayPal stays down, and a later run issues it with the same request id', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['12.0000', '8.0000'] });
    standIn.inject({ match: /POST \/v2\/payments\/captures\/[^/]+\/refund$/, kind: 500, times: 5 });
    const { dispute, resolved } = await disputeWon(paid, 0);
    expect(resolved.refund).toMatchObject({ state: 'created', attempts: 1, paypal_refund_id: null });
    expect(resolved.refund!.error).toMatch(/500/);
    expect(await listRefunds(db, { cycle: paid.cycleId })).toEqual([expect.objectContaining({ id: resolved.refund!.id, state: 'created' })]);

    // PayPal answers again, but only with PENDING at first (an eCheck-funded capture); polled until COMPLETED.
    standIn.pendingRefunds = true;
    let run = await issueRefunds(db, paypal, { cycle: paid.cycleId });
    standIn.pendingRefunds = false;
    expect(run.errors).toEqual([]);
    expect(run.refunds).toEqual([expect.objectContaining({ state: 'pending', paypal_status: 'PENDING' })]);
    standIn.completeRefund(run.refunds[0].paypal_refund_id!);
    run = await issueRefunds(db, paypal, { cycle: paid.cycleId });
    expect(run.refunds).toEqual([expect.objectContaining({ state: 'completed', paypal_refund_id: run.refunds[0].paypal_refund_id })]);

    const posts = refundPosts(`refund-${dispute.id}`);
    expect(posts.length).toBe(6);
    expect(standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/refund') && r.requestId !== `refund-${dispute.id}` && r.path.includes(resolved.refund!.capture_id))).toEqual([]);
    expect([...standIn.refunds.values()].filter((r) => r.capture_id === resolved.refund!.capture_id)).toHaveLength(1);
    await ledgerSound();
    expect((await reconcileCycle(db, paypal, paid.cycleId)).mismatches).toEqual([]);
  });

  it('issues a refund nobody issued yet when the cycle that nets it is settled', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['18.0000'] });
    // Resolved where no PayPal client is at hand (the portal): reserved, not sent.
    const { resolved } = await disputeWon(paid, 0, {});
    expect(resolved.refund).toMatchObject({ state: 'created', attempts: 0, paypal_refund_id: null });
    const { next } = await clearNext(paid);
    const [report] = await settleCycles(db, paypal, [await getCycle(db, next.id)]);
    expect(report).toMatchObject({ refunds_completed: 1, errors: [] });
    expect(await listRefunds(db, { ids: [resolved.refund!.id] })).toEqual([expect.objectContaining({ state: 'completed', booked_in_cycle: next.id })]);
    approveOrdersOf(standIn, statementId(next, paid.cpo));
    expect((await settleCycles(db, paypal, [await getCycle(db, next.id)]))[0]).toMatchObject({ state: 'settled', refunds_completed: 0 });
    await ledgerSound();
    for (const cycle of [paid.cycleId, next.id]) expect((await reconcileCycle(db, paypal, cycle)).mismatches).toEqual([]);
  });

  it('credits the eMSP through netting when PayPal refuses the refund for good, and reconcile reports the refund made behind the ledger', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['30.0000'] });
    const payment = await db('clearing_payments').where({ cycle_id: paid.cycleId, party: paid.emsp, direction: 'collect' }).first();
    // Someone refunded the whole capture in PayPal's dashboard, outside the hub.
    await paypal.refundCapture(payment.capture_id, { requestId: `manual-${payment.id}`, amount: { currency: CURRENCY, value: formatUnits(BigInt(payment.amount), 2) }, invoiceId: payment.statement_id, note: 'manual' });
    const { booking, resolved } = await disputeWon(paid, 0);
    expect(resolved.refund).toMatchObject({ state: 'failed' });
    expect(resolved.refund!.error).toMatch(/CAPTURE_FULLY_REFUNDED/);
    await ledgerSound();

    // The refund booking is reversed (linked), so the next cycle credits the eMSP in full.
    const row = await db('clearing_refunds').where({ id: resolved.refund!.id }).first();
    const reversal = await db('clearing_bookings').where({ id: row.reversal_booking_id }).first();
    expect(String(reversal.reverses_booking_id)).toBe(String(row.booking_id));
    const reversalEntry = await db('ledger_entries').where({ booking_id: reversal.id, kind: 'booking' }).first();
    expect(reversalEntry.reverses_entry_id).not.toBeNull();
    const { own } = await clearNext(paid);
    expect(own.get(paid.emsp)).toBe(BigInt(booking.amount) + BigInt(booking.fee_emsp));

    // The dashboard refund is not in the ledger: reconcile says so.
    const report = await reconcileCycle(db, paypal, paid.cycleId);
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'unknown_in_ledger', paypal: `-${formatUnits(BigInt(payment.amount), 2)} ${CURRENCY}` })]);
  });

  it('refunds nothing when the eMSP has not paid yet: the reversal reduces what it owes', async () => {
    const unpaid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['6.0000'], pay: false });
    const { booking, resolved } = await disputeWon(unpaid, 0);
    expect(resolved.refund).toBeNull();
    const adjustment = await db('clearing_bookings').where({ id: resolved.adjustment_booking_id }).first();
    expect(BigInt(adjustment.amount)).toBe(-BigInt(booking.amount));
    expect(await listRefunds(db, { cycle: unpaid.cycleId })).toEqual([]);
    const { own } = await clearNext(unpaid);
    expect(own.get(unpaid.emsp)).toBe(BigInt(booking.amount) + BigInt(booking.fee_emsp));
    await ledgerSound();
  });

  it('reconcile reports a refund whose amount differs at PayPal, and a refund in the ledger that PayPal does not show', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: aPeriod(), currency: CURRENCY, excl: ['9.9900', '4.0000'] });
    const { resolved } = await disputeWon(paid, 0);
    expect(resolved.refund!.state).toBe('completed');
    expect((await reconcileCycle(db, paypal, paid.cycleId)).mismatches).toEqual([]);

    const transaction = standIn.transactions.find((t) => t.transaction_id === resolved.refund!.paypal_refund_id)!;
    const original = transaction.amount.value;
    transaction.amount.value = '-0.01';
    try {
      expect((await reconcileCycle(db, paypal, paid.cycleId)).mismatches).toEqual([expect.objectContaining({ kind: 'amount_mismatch', refund_id: resolved.refund!.id, paypal: `-0.01 ${CURRENCY}` })]);
    } finally {
      transaction.amount.value = original;
    }

    // A refund payment in the ledger that no refund accounts for (balanced, so only reconciliation can see it).
    await db.transaction((trx) =>
      postEntries(db, trx, [{ kind: 'refund.completed', ref: `refund:forged-${paid.cycleId}:completed`, cycleId: paid.cycleId, lines: [{ owner: HUB, kind: 'cash', currency: CURRENCY, amount: -10000n }, { owner: HUB, kind: 'settlement', currency: CURRENCY, amount: 10000n }] }]),
    );
    expect((await reconcileCycle(db, paypal, paid.cycleId)).mismatches).toEqual([expect.objectContaining({ kind: 'missing_in_paypal', detail: expect.stringContaining('forged') })]);
    await ledgerSound();
  });
});
