// Refunds when an eMSP wins a dispute after it paid for the CDR.
//
// When a dispute on a CDR that was cleared in a closed cycle is upheld, its reversal (an
// adjustment booking) enters the next open cycle: the eMSP is credited what it was charged, the
// CPO is charged back what it was paid, and the hub gives up both fees. If the eMSP had already
// paid the CDR's cycle through a captured PayPal order, waiting a cycle for that credit is not
// what it paid for: the hub refunds the capture now and books the refund into the same cycle as
// the reversal, so the credit is not paid a second time through netting. Who bears what:
//   - the eMSP gets back, to the capture it paid with, what it was charged for the CDR (the
//     settled amount, incl. VAT where the agreement settles incl. VAT, plus its share of the hub
//     fee), rounded down to the currency's minor unit and capped at what is left of the capture;
//     the sub-cent remainder and anything above the capture stay a credit in its next cycle;
//   - the CPO bears the clawback: the reversal makes it owe back what it was paid (the amount
//     less its fee), set off against its next cycle (a smaller payout, or an amount to pay);
//   - the hub returns the fees it earned on the CDR and, as central counterparty, pre-finances
//     the refund from its PayPal balance until the CPO's clawback is settled.
// Ledger: the refund booking (eMSP owes the hub R in the reversal's cycle) posts
// eMSP.receivable +R / hub.payable −R; the completed refund posts hub.cash −R / hub.settlement +R
// (the hub's advance), which that cycle's netting closes; a refund PayPal refuses for good is
// reversed by a linked booking in the open cycle, so the eMSP gets its credit through netting
// as if no refund had been tried. Every step is keyed (dispute id, PayPal-Request-Id, entry
// refs) and safe to rerun; the database refuses refunds beyond the capture.
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import { cdrKey, postBookingEntries, retrying, reversalOf, rowAmounts, type BookingRow } from './booking.ts';
import { HUB, postEntries, type Executor } from './ledger.ts';
import { openCycleFor } from './cycles.ts';
import { formatMoney, paypalValue, toMinorUnits } from './money.ts';
import type { PayPalGateway, RefundView } from './paypal/client.ts';
import { PayPalApiError } from './paypal/errors.ts';

export type RefundState = 'created' | 'pending' | 'completed' | 'failed';

export interface Refund {
  id: string;
  dispute_id: string;
  cdr: string;
  party: string;
  currency: string;
  amount: string;
  state: RefundState;
  paypal_refund_id: string | null;
  paypal_status: string | null;
  capture_id: string;
  request_id: string;
  /** The statement (and cycle) the eMSP paid with the refunded capture. */
  statement_id: string;
  paid_in_cycle: string;
  /** The cycle whose netting carries the refund booking (and the dispute's reversal). */
  booked_in_cycle: string;
  /** That cycle's statement for the party, which charges the refund against its credit; null until issued. */
  netted_on_statement: string | null;
  attempts: number;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

const present = (r: Record<string, any>): Refund => {
  const currency = String(r.currency).trim();
  return {
    id: String(r.id),
    dispute_id: r.dispute_id,
    cdr: cdrKey(r.country_code, r.party_id, r.original_cdr_id),
    party: r.party,
    currency,
    amount: formatMoney(BigInt(r.amount), currency),
    state: r.status,
    paypal_refund_id: r.refund_id ?? null,
    paypal_status: r.paypal_status ?? null,
    capture_id: r.capture_id,
    request_id: r.request_id,
    statement_id: r.statement_id,
    paid_in_cycle: r.paid_in_cycle,
    booked_in_cycle: r.booked_in_cycle,
    netted_on_statement: r.netted_on_statement ?? null,
    attempts: r.attempts,
    error: r.error?.message ?? null,
    created_at: new Date(r.created_at).toISOString(),
    completed_at: r.completed_at ? new Date(r.completed_at).toISOString() : null,
  };
};

function refundsQuery(db: Executor) {
  return db('clearing_refunds as r')
    .join('clearing_payments as p', 'p.id', 'r.payment_id')
    .join('clearing_disputes as d', 'd.id', 'r.dispute_id')
    .join('clearing_bookings as o', 'o.id', 'd.booking_id')
    .join('clearing_bookings as b', 'b.id', 'r.booking_id')
    .leftJoin('clearing_statements as n', (j) => j.on('n.cycle_id', 'b.cycle_id').andOn('n.party', 'r.party'))
    .orderBy('r.id')
    .select('r.*', 'p.statement_id', 'p.cycle_id as paid_in_cycle', 'b.cycle_id as booked_in_cycle', 'n.id as netted_on_statement', 'o.country_code', 'o.party_id', 'o.cdr_id as original_cdr_id');
}

type RefundFilter = {
  cycle?: string;
  bookedIn?: string;
  ids?: string[];
  disputeId?: string;
  /** Refunds of the statement's payments, and refunds it nets (its cycle carries their booking, for its party). */
  statement?: { id: string; cycleId: string; party: string };
};

async function refundRows(db: Executor, filter: RefundFilter): Promise<Record<string, any>[]> {
  const q = refundsQuery(db);
  if (filter.cycle) q.where((w) => w.where('p.cycle_id', filter.cycle!).orWhere('b.cycle_id', filter.cycle!));
  if (filter.bookedIn) q.where('b.cycle_id', filter.bookedIn);
  if (filter.ids) q.whereIn('r.id', filter.ids);
  if (filter.disputeId) q.where('r.dispute_id', filter.disputeId);
  const st = filter.statement;
  if (st) q.where((w) => w.where('p.statement_id', st.id).orWhere((n) => n.where('b.cycle_id', st.cycleId).andWhere('r.party', st.party)));
  return q;
}

/** Refunds whose capture was paid in the cycle or whose booking is netted in it (either, with `cycle`). */
export async function listRefunds(db: Executor, filter: RefundFilter = {}): Promise<Refund[]> {
  return (await refundRows(db, filter)).map(present);
}

/**
 * Inside the transaction that upholds a dispute after its cycle closed (the reversal is already
 * booked): when the eMSP paid that cycle through a captured PayPal order, reserves the refund
 * (refund booking and refund row, PayPal not yet called). Returns the refund id, or null when
 * the reversal alone is right (nothing captured yet, nothing left to refund).
 */
export async function reserveRefund(db: Db, trx: Knex.Transaction, disputeId: string, booking: BookingRow, reversal: BookingRow): Promise<string | null> {
  if (!booking.emsp || !booking.cycle_id) return null;
  // Locked: two disputes on CDRs paid by the same capture reserve one after the other.
  const payment = await trx('clearing_payments')
    .where({ cycle_id: booking.cycle_id, party: booking.emsp, direction: 'collect', status: 'completed' })
    .whereNotNull('capture_id')
    .forUpdate()
    .first('id', 'amount', 'capture_id');
  if (!payment) return null;
  const { amount, feeEmsp, currency } = rowAmounts(booking);
  const reserved = await trx('clearing_refunds').where({ payment_id: payment.id }).whereNot({ status: 'failed' }).sum({ s: 'amount' }).first();
  const left = BigInt(payment.amount) - BigInt(reserved?.s ?? 0);
  const charged = toMinorUnits(amount + feeEmsp, currency).settle;
  const refund = charged < left ? charged : left;
  if (refund <= 0n) return null;
  const [refundBooking]: BookingRow[] = await trx('clearing_bookings')
    .insert({
      country_code: booking.country_code,
      party_id: booking.party_id,
      cdr_id: `${booking.cdr_id}#refund:${disputeId}`,
      kind: 'refund',
      cpo: HUB,
      emsp: booking.emsp,
      currency,
      amount: refund.toString(),
      amount_excl_vat: refund.toString(),
      amount_incl_vat: refund.toString(),
      end_date_time: booking.end_date_time,
      start_date_time: booking.start_date_time,
      agreement_id: booking.agreement_id,
      status: 'booked',
      cycle_id: reversal.cycle_id,
    })
    .returning('*');
  await postBookingEntries(db, trx, [refundBooking]);
  const [row] = await trx('clearing_refunds')
    .insert({ dispute_id: disputeId, payment_id: payment.id, amount: refund.toString(), request_id: `refund-${disputeId}`, status: 'created', party: booking.emsp, currency, capture_id: payment.capture_id, booking_id: refundBooking.id })
    .returning('id');
  return String(row.id);
}

export interface IssueReport {
  refunds: Refund[];
  errors: string[];
}

/**
 * Sends reserved refunds to PayPal and polls pending ones. Retryable failures (5xx, 429,
 * timeouts, after the client's own retries with the same PayPal-Request-Id) stay outstanding for
 * the next run; a refund PayPal refuses is reversed so the eMSP is credited through netting.
 */
export async function issueRefunds(db: Db, paypal: PayPalGateway, filter: Pick<RefundFilter, 'cycle' | 'bookedIn' | 'ids'> = {}): Promise<IssueReport> {
  const outstanding = (await refundRows(db, filter)).filter(isOutstanding);
  const errors: string[] = [];
  for (const r of outstanding) {
    const error = await issueLocked(db, paypal, String(r.id));
    if (error) errors.push(`refund ${r.id} (${r.party}): ${error}`);
  }
  return { refunds: outstanding.length ? await listRefunds(db, { ids: outstanding.map((r) => String(r.id)) }) : [], errors };
}

/**
 * `hub clearing refunds --retry` and POST /admin/clearing/refunds/retry: issueRefunds, then one
 * clearing.refunds_retry audit row (subject the cycle, or none for every cycle) saying what came of
 * it. Written after the run: each refund commits on its own around its PayPal call, so there is no
 * one transaction to share; a run that could not start (no PayPal) writes none.
 */
export async function retryRefunds(db: Db, paypal: PayPalGateway, filter: { cycle?: string }, actor: string): Promise<IssueReport> {
  const report = await issueRefunds(db, paypal, filter);
  const count = (state: RefundState) => report.refunds.filter((r) => r.state === state).length;
  const details = { cycle: filter.cycle ?? null, refunds: report.refunds.map((r) => ({ id: r.id, dispute: r.dispute_id, amount: r.amount, currency: r.currency, state: r.state })), completed: count('completed'), pending: count('pending') + count('created'), failed: count('failed'), errors: report.errors.length };
  await audit(db, { actor, action: 'clearing.refunds_retry', subject: filter.cycle ?? null, details });
  return report;
}

const isOutstanding = (r: Record<string, any>) => r.status === 'created' || r.status === 'pending';

/**
 * One refund at a time across processes (a worker's retries, a settlement run, an operator's
 * command): PayPal may answer a request still in flight elsewhere with an error, and a refund
 * wrongly marked failed would also be credited through netting, paid twice. The lock is tried, not
 * waited for: a refund another process holds is that process's to finish. Its row is read again
 * under the lock, since whoever held it may have just finished it.
 */
async function issueLocked(db: Db, paypal: PayPalGateway, id: string): Promise<string | null> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw('SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked', [`clearing:refund:${id}`]);
    if (!rows[0].locked) return null;
    const [r] = await refundRows(db, { ids: [id] });
    return r && isOutstanding(r) ? issueOne(db, paypal, r) : null;
  });
}

async function issueOne(db: Db, paypal: PayPalGateway, r: Record<string, any>): Promise<string | null> {
  const currency = String(r.currency).trim();
  let view: RefundView;
  try {
    view =
      r.status === 'pending' && r.refund_id
        ? await paypal.getRefund(r.refund_id)
        : await paypal.refundCapture(r.capture_id, {
            requestId: r.request_id,
            amount: { currency, value: paypalValue(BigInt(r.amount), currency) },
            invoiceId: r.statement_id,
            note: `Dispute ${r.dispute_id} upheld: CDR ${r.original_cdr_id}`.slice(0, 255),
          });
  } catch (err) {
    const message = (err as Error).message;
    // PayPal refused this refund (422: e.g. REFUND_TIME_LIMIT_EXCEEDED, CAPTURE_FULLY_REFUNDED; 404: no such capture): the
    // same request will never succeed, so the credit goes through netting. Other errors (a wrong secret, an outage) are ours
    // to fix, and the refund stays outstanding for the next run.
    if (err instanceof PayPalApiError && (err.status === 422 || err.status === 404) && r.status === 'created') {
      await failRefund(db, r.id, { message, issue: err.issue ?? null });
      return message;
    }
    await db('clearing_refunds').where({ id: r.id }).whereIn('status', ['created', 'pending']).update({ attempts: db.raw('attempts + 1'), error: JSON.stringify({ message }), updated_at: db.fn.now() });
    return message;
  }
  if (view.status === 'COMPLETED') await completeRefund(db, r.id, view);
  else if (view.status === 'FAILED' || view.status === 'CANCELLED') await failRefund(db, r.id, { message: `PayPal refund ${view.id} ${view.status}` }, view);
  else await db('clearing_refunds').where({ id: r.id }).whereIn('status', ['created', 'pending']).update({ status: 'pending', refund_id: view.id, paypal_status: view.status, attempts: db.raw('attempts + 1'), error: null, updated_at: db.fn.now() });
  return null;
}

async function completeRefund(db: Db, id: string, view: RefundView): Promise<void> {
  await retrying(db, async (trx) => {
    const row = await trx('clearing_refunds as r').join('clearing_payments as p', 'p.id', 'r.payment_id').where('r.id', id).forUpdate('r').first('r.*', 'p.cycle_id as paid_in_cycle');
    if (row.status === 'completed' || row.status === 'failed') return;
    const amount = BigInt(row.amount);
    const currency = String(row.currency).trim();
    await postEntries(db, trx, [
      {
        kind: 'refund.completed',
        ref: `refund:${id}:completed`,
        cycleId: row.paid_in_cycle,
        bookingId: String(row.booking_id),
        memo: `PayPal refund ${view.id} of capture ${row.capture_id}`,
        lines: [
          { owner: HUB, kind: 'cash', currency, amount: -amount },
          { owner: HUB, kind: 'settlement', currency, amount },
        ],
      },
    ]);
    await trx('clearing_refunds').where({ id }).update({ status: 'completed', refund_id: view.id, paypal_status: view.status, attempts: trx.raw('attempts + 1'), error: null, completed_at: trx.fn.now(), updated_at: trx.fn.now() });
    await trx('clearing_payments').where({ id: row.payment_id }).update({ refunded: trx.raw('refunded + ?', [amount.toString()]), updated_at: trx.fn.now() });
  });
}

async function failRefund(db: Db, id: string, error: { message: string; issue?: string | null }, view?: RefundView): Promise<void> {
  await retrying(db, async (trx) => {
    const row = await trx('clearing_refunds').where({ id }).forUpdate().first();
    if (row.status === 'completed' || row.status === 'failed') return;
    const booking: BookingRow & { cycle_period: string } = await trx('clearing_bookings as b').join('clearing_cycles as c', 'c.id', 'b.cycle_id').where('b.id', row.booking_id).first('b.*', 'c.period as cycle_period');
    const cycle = await openCycleFor(trx, booking.cycle_period, booking.currency.trim());
    const [reversal]: BookingRow[] = await trx('clearing_bookings')
      .insert(reversalOf(booking, 'refund', `${booking.cdr_id}:failed`, cycle.id))
      .returning('*');
    await postBookingEntries(db, trx, [reversal]);
    await trx('clearing_refunds')
      .where({ id })
      .update({ status: 'failed', reversal_booking_id: reversal.id, refund_id: view?.id ?? row.refund_id, paypal_status: view?.status ?? row.paypal_status, attempts: trx.raw('attempts + 1'), error: JSON.stringify(error), updated_at: trx.fn.now() });
  });
}

/** PayPal, or how to get it: a factory is only called (and the SDK loaded) when a refund is due. */
export type PayPalSource = PayPalGateway | (() => PayPalGateway | Promise<PayPalGateway>);

/** The refund of a dispute, issued now when a gateway is at hand (otherwise it waits for `hub clearing refunds --retry`). */
export async function refundOfDispute(db: Db, disputeId: string, paypal?: PayPalSource): Promise<Refund | null> {
  const [refund] = await listRefunds(db, { disputeId });
  if (!refund || (refund.state !== 'created' && refund.state !== 'pending') || !paypal) return refund ?? null;
  let gateway: PayPalGateway;
  try {
    gateway = typeof paypal === 'function' ? await paypal() : paypal;
  } catch (err) {
    await db('clearing_refunds').where({ id: refund.id }).update({ error: JSON.stringify({ message: `not issued yet: ${(err as Error).message}` }), updated_at: db.fn.now() });
    return (await listRefunds(db, { ids: [refund.id] }))[0];
  }
  return (await issueRefunds(db, gateway, { ids: [refund.id] })).refunds[0];
}
