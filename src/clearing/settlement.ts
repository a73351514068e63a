// Settlement through PayPal. Net payers get a PayPal Order (intent CAPTURE, invoice_id = the
// statement id, PayPal-Request-Id derived from it) whose approval link goes on the statement; it is
// captured once approved (polled on each run) and then booked. Net receivers are paid in one
// Payouts batch per cycle (= per currency) and round, with deterministic sender_batch_id and
// sender_item_id: booked as pending on creation, posted on item SUCCESS, voided on FAILED /
// RETURNED / REVERSED (then retried in the next round by a later run), UNCLAIMED / ONHOLD stay
// pending. Payment rows are written before PayPal is called, and a partial unique index allows one
// live payment per cycle, party and direction: nothing is paid twice. Every run is safe to repeat.
// Refunds netted in the cycle (disputes won after payment) that PayPal has not taken yet are
// issued first: the cycle's payout to the eMSP already leaves them out. A statement the payer paid
// by bank transfer (recorded with `hub statements pay`) is never collected through PayPal as well.
// A cycle in a currency PayPal does not take is settled by bank transfers only (bankSettlement.ts).
// An order that expired before it was captured is replaced by a fresh one (orderExpiry.ts), whose
// link replaces the old one on the statement. An order whose creation's answer a stopped run lost
// is asked for again under the same PayPal-Request-Id; past PayPal's window for it the run reports
// the first one as a possible orphan (orderIntent.ts says why it cannot be paid).
// An operator's run (an `actor` given) writes one audit row per cycle when the run ends, with what
// it did and what money has moved so far; a run refused at the start (no statements yet) writes none.
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import { HUB, postEntries, linesOf, reversedLines } from './ledger.ts';
import { atLeast, type Cycle } from './cycles.ts';
import { conflict } from './errors.ts';
import { formatMoney, paypalValue, unitsFromPaypal } from './money.ts';
import { statementId } from './statements.ts';
import { issueRefunds } from './refunds.ts';
import type { OrderView, PayPalGateway } from './paypal/client.ts';
import { PayPalApiError } from './paypal/errors.ts';
import { nextOrderRequestId, orderExpired, orderRequestId } from './orderExpiry.ts';
import { mayOrphanOrder, possibleOrphan, type PossibleOrphanOrder } from './orderIntent.ts';
import { paypalSupports } from './paypal/currencies.ts';
import { bankTransfers, settleByBankTransfer, type OutsidePayPal } from './bankSettlement.ts';

export interface SettleReport {
  cycle: string;
  state: string;
  orders_created: number;
  /** Statements whose order expired uncaptured and got a fresh one (and a new pay link). */
  orders_renewed: RenewedOrder[];
  /** Orders an interrupted earlier run may have left at PayPal, unpayable, that cannot be looked up. */
  possible_orphan_orders: PossibleOrphanOrder[];
  captured: number;
  awaiting_approval: number;
  payouts_sent: number;
  payouts_completed: number;
  payouts_pending: number;
  payouts_failed: number;
  /** Outstanding refunds booked in this cycle that this run got PayPal to complete. */
  refunds_completed: number;
  missing_payee: string[];
  /** Set when PayPal does not take the cycle's currency: each statement's bank transfer, awaited or recorded. */
  outside_paypal?: OutsidePayPal;
  errors: string[];
}

export interface RenewedOrder {
  statement: string;
  party: string;
  /** The order that expired (null when it was replaced in an earlier, interrupted run). */
  expired_order: string | null;
  order: string;
  approval_url: string | null;
}

/** The order as PayPal shows it, or null when it expired (and can never be paid). */
async function orderUnlessExpired(paypal: PayPalGateway, orderId: string): Promise<OrderView | null> {
  try {
    const order = await paypal.getOrder(orderId);
    return orderExpired({ status: order.status }) ? null : order;
  } catch (err) {
    if (err instanceof PayPalApiError && orderExpired({ refused: { status: err.status, name: err.body?.name, issue: err.issue } })) return null;
    throw err;
  }
}

const FAILED_ITEM = new Set(['FAILED', 'RETURNED', 'REVERSED', 'BLOCKED', 'REFUNDED', 'DENIED']);

/** Holds the cycles' advisory locks for the whole run (PayPal calls included), writing through the pool. */
async function withRunLock<T>(db: Db, ids: string[], work: (lock: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    for (const id of [...new Set(ids)].sort()) await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`clearing:cycle:${id}`]);
    return work(trx);
  });
}

export async function settleCycles(db: Db, paypal: PayPalGateway, cycles: Cycle[], options: { onProgress?: (done: number, total: number, what: string) => void; actor?: string } = {}): Promise<SettleReport[]> {
  const reports: SettleReport[] = [];
  for (const cycle of cycles) {
    reports.push(
      await withRunLock(db, [cycle.id], async (lock) => {
        const report = await settleOne(db, paypal, cycle.id, options.onProgress);
        if (options.actor) await audit(lock, { actor: options.actor, action: 'clearing.settle', subject: cycle.id, details: await settleAuditDetails(lock, cycle, report) });
        return report;
      }),
    );
  }
  return reports;
}

/**
 * What an auditor needs of a settlement run: its counts, and the money moved in the cycle so far
 * (completed collections and payouts; outside PayPal, the statements paid by bank transfer) as decimal strings. PayPal's error
 * texts stay in the report and the payment rows; the row counts them.
 */
async function settleAuditDetails(db: Knex.Transaction, before: Cycle, r: SettleReport): Promise<Record<string, unknown>> {
  const moved: { direction: string; total: string | null }[] = await db('clearing_payments').where({ cycle_id: before.id, status: 'completed' }).groupBy('direction').select('direction').sum({ total: 'amount' });
  const total = (direction: string) => formatMoney(BigInt(moved.find((m) => m.direction === direction)?.total ?? 0), before.currency);
  return {
    period: before.period,
    currency: before.currency,
    state_before: before.state,
    state: r.state,
    orders_created: r.orders_created,
    orders_renewed: r.orders_renewed.length,
    captured: r.captured,
    awaiting_approval: r.awaiting_approval,
    payouts_sent: r.payouts_sent,
    payouts_completed: r.payouts_completed,
    payouts_pending: r.payouts_pending,
    payouts_failed: r.payouts_failed,
    refunds_completed: r.refunds_completed,
    missing_payee: r.missing_payee,
    possible_orphan_orders: r.possible_orphan_orders.length,
    collected: total('collect'),
    paid_out: total('payout'),
    ...(r.outside_paypal ? { outside_paypal: { statements: r.outside_paypal.statements.length, paid_by_bank_transfer: r.outside_paypal.statements.filter((s) => s.state === 'paid_by_bank_transfer').length } } : {}),
    errors: r.errors.length,
  };
}

async function settleOne(db: Db, paypal: PayPalGateway, cycleId: string, onProgress?: (done: number, total: number, what: string) => void): Promise<SettleReport> {
  const cycle = await db('clearing_cycles').where({ id: cycleId }).first();
  const report: SettleReport = { cycle: cycleId, state: cycle.state, orders_created: 0, orders_renewed: [], possible_orphan_orders: [], captured: 0, awaiting_approval: 0, payouts_sent: 0, payouts_completed: 0, payouts_pending: 0, payouts_failed: 0, refunds_completed: 0, missing_payee: [], errors: [] };
  if (!atLeast(cycle.state, 'netted') || !cycle.statements_at) throw conflict(`cycle ${cycle.period} ${cycle.currency.trim()} needs netting and statements before settlement (it is ${cycle.state})`);
  const refunds = await issueRefunds(db, paypal, { bookedIn: cycleId });
  report.refunds_completed = refunds.refunds.filter((r) => r.state === 'completed').length;
  report.errors.push(...refunds.errors);
  const currency = cycle.currency.trim();
  if (!paypalSupports(currency)) return { ...report, ...(await settleByBankTransfer(db, { id: cycleId, period: cycle.period, currency, state: cycle.state })) };
  if (cycle.state === 'settled') return report;
  const label = { period: cycle.period as string, currency };

  // 1. Payment rows for every position without a live payment (failed payouts get the next round).
  const positions: { party: string; settle_amount: string }[] = await db('clearing_positions').where({ cycle_id: cycleId }).whereNot({ party: HUB }).whereNot({ settle_amount: 0 });
  const payees = new Map<string, { paypal_receiver: string; recipient_type: string }>((await db('clearing_payees').select('*')).map((p: { party: string; paypal_receiver: string; recipient_type: string }) => [p.party, p]));
  const round: number = ((await db('clearing_payments').where({ cycle_id: cycleId, direction: 'payout' }).max({ r: 'round' }).first())?.r ?? -1) as number;
  const hasPending = await db('clearing_payments').where({ cycle_id: cycleId, direction: 'payout' }).whereIn('status', ['created']).first('id');
  const nextRound = hasPending ? round : round + 1;
  await db.transaction(async (trx) => {
    const live = new Set((await trx('clearing_payments').where({ cycle_id: cycleId }).whereNot({ status: 'failed' }).select('party', 'direction')).map((p: { party: string; direction: string }) => `${p.party}|${p.direction}`));
    let batchCreated = false;
    for (const pos of positions) {
      const amount = BigInt(pos.settle_amount);
      const direction = amount < 0n ? 'collect' : 'payout';
      if (live.has(`${pos.party}|${direction}`)) continue;
      const st = statementId(label, pos.party);
      if (direction === 'collect') {
        await trx('clearing_payments').insert({ cycle_id: cycleId, statement_id: st, party: pos.party, currency, direction, amount: (-amount).toString(), status: 'created', request_id: orderRequestId(st) });
        continue;
      }
      const payee = payees.get(pos.party);
      if (!payee) {
        report.missing_payee.push(pos.party);
        continue;
      }
      const senderBatchId = `${cycle.period}-${currency}-${cycleId.slice(0, 8)}-r${nextRound}`;
      if (!batchCreated) {
        await trx('clearing_payout_batches').insert({ sender_batch_id: senderBatchId, cycle_id: cycleId, round: nextRound }).onConflict('sender_batch_id').ignore();
        batchCreated = true;
      }
      const senderItemId = `${pos.party}-${cycle.period}-${currency}-r${nextRound}`;
      const [payment] = await trx('clearing_payments')
        .insert({ cycle_id: cycleId, statement_id: st, party: pos.party, currency, direction, amount: amount.toString(), status: 'created', request_id: `payout-${senderItemId}`, round: nextRound, sender_batch_id: senderBatchId, sender_item_id: senderItemId })
        .returning('id');
      // Pending: the amount leaves the party's settlement account into "in transit".
      await postEntries(db, trx, [{ kind: 'payout.pending', ref: `payout:${payment.id}:pending`, cycleId, lines: [{ owner: pos.party, kind: 'settlement', currency, amount }, { owner: HUB, kind: 'in_transit', currency, amount: -amount }] }]);
    }
    if (cycle.state === 'netted') await trx('clearing_cycles').where({ id: cycleId }).update({ state: 'settling', settling_at: trx.fn.now() });
  });

  const payments: Record<string, any>[] = await db('clearing_payments').where({ cycle_id: cycleId }).orderBy('id');
  let done = 0;
  const total = payments.length;
  const tick = (what: string) => onProgress?.(++done, total, what);

  // 2. Collections: create orders, capture approved ones.
  for (const p of payments.filter((x) => x.direction === 'collect' && x.status !== 'completed' && x.status !== 'failed')) {
    try {
      // Paid (in whole or in part) by bank transfer: the order is for the full amount, so PayPal
      // must not create or capture it, even if the payer approves it later.
      const bank = await bankTransfers(db, p.statement_id);
      if (bank > 0n) {
        const message = bank >= BigInt(p.amount) ? 'paid by bank transfer; the PayPal order is not captured' : `partly paid by bank transfer (${formatMoney(bank, currency)} of ${formatMoney(BigInt(p.amount), currency)} ${currency}); the PayPal order is not captured: record the rest by bank transfer`;
        await db('clearing_payments').where({ id: p.id }).update({ error: JSON.stringify({ message }), updated_at: db.fn.now() });
        if (bank < BigInt(p.amount)) report.errors.push(`${p.party} order: statement ${p.statement_id} ${message}`);
        tick(`collect ${p.party}`);
        continue;
      }
      let expiredOrder: string | null = null;
      const shown = p.order_id ? await orderUnlessExpired(paypal, p.order_id) : null;
      if (p.order_id && !shown) {
        // Forget the dead link everywhere before asking for a new order: if this run stops in
        // between, the next one creates the order under the same new request id.
        expiredOrder = p.order_id;
        const requestId = nextOrderRequestId(p.statement_id, p.request_id);
        await db.transaction(async (trx) => {
          await trx('clearing_payments').where({ id: p.id }).update({ request_id: requestId, order_id: null, approval_url: null, status: 'created', paypal_status: null, order_requested_at: null, error: JSON.stringify({ message: `order ${expiredOrder} expired uncaptured; replaced by a fresh order` }), updated_at: trx.fn.now() });
          await trx('clearing_statements').where({ id: p.statement_id }).update({ approval_url: null });
        });
        // The fresh order's ask is recorded afresh below (the orphan check and billing's new-link email read it).
        Object.assign(p, { request_id: requestId, order_id: null, status: 'created', order_requested_at: null });
      }
      if (!p.order_id) {
        // Recorded before PayPal is asked: PayPal's request-id window runs from the first ask, and
        // an ask after it may create a second order (the first one cannot be looked up).
        const askedAt: Date | null = p.order_requested_at ? new Date(p.order_requested_at) : null;
        if (askedAt && mayOrphanOrder(askedAt, new Date())) report.possible_orphan_orders.push(possibleOrphan(p as { statement_id: string; party: string; request_id: string }, askedAt));
        if (!askedAt || mayOrphanOrder(askedAt, new Date())) await db('clearing_payments').where({ id: p.id }).update({ order_requested_at: db.fn.now(), updated_at: db.fn.now() });
        const order = await paypal.createOrder({ requestId: p.request_id, amount: { currency, value: paypalValue(BigInt(p.amount), currency) }, invoiceId: p.statement_id, customId: cycleId, referenceId: p.party, description: `Clearing statement ${p.statement_id}` });
        await db('clearing_payments').where({ id: p.id }).update({ order_id: order.id, approval_url: order.approvalUrl, status: 'pending', paypal_status: order.status, updated_at: db.fn.now() });
        await db('clearing_statements').where({ id: p.statement_id }).update({ approval_url: order.approvalUrl });
        Object.assign(p, { order_id: order.id, status: 'pending' });
        if (p.request_id === orderRequestId(p.statement_id)) report.orders_created += 1;
        else report.orders_renewed.push({ statement: p.statement_id, party: p.party, expired_order: expiredOrder, order: order.id, approval_url: order.approvalUrl });
      }
      let order = shown ?? (await paypal.getOrder(p.order_id));
      if (order.status === 'APPROVED') order = await paypal.captureOrder(p.order_id, `capture-${p.statement_id}`);
      if (order.status === 'COMPLETED' && order.capture?.status === 'COMPLETED') {
        const captured = unitsFromPaypal(order.capture.amount.value);
        await db.transaction(async (trx) => {
          await postEntries(db, trx, [{ kind: 'collect.captured', ref: `collect:${p.id}:captured`, cycleId, memo: `capture ${order.capture!.id}`, lines: [{ owner: HUB, kind: 'cash', currency, amount: captured }, { owner: p.party, kind: 'settlement', currency, amount: -captured }] }]);
          await trx('clearing_payments').where({ id: p.id }).update({ status: 'completed', capture_id: order.capture!.id, paypal_status: 'COMPLETED', updated_at: trx.fn.now() });
        });
        report.captured += 1;
      } else {
        await db('clearing_payments').where({ id: p.id }).update({ paypal_status: order.status, updated_at: db.fn.now() });
        report.awaiting_approval += 1;
      }
    } catch (err) {
      report.errors.push(`${p.party} order: ${(err as Error).message}`);
      await db('clearing_payments').where({ id: p.id }).update({ error: JSON.stringify({ message: (err as Error).message }), updated_at: db.fn.now() });
    }
    tick(`collect ${p.party}`);
  }

  // 3. Payouts: send batches not yet sent, then poll them.
  const batches: Record<string, any>[] = await db('clearing_payout_batches').where({ cycle_id: cycleId }).orderBy('round');
  for (const b of batches) {
    const items = payments.filter((p) => p.sender_batch_id === b.sender_batch_id);
    try {
      if (!b.payout_batch_id) {
        const toSend = items.filter((p) => p.status === 'created');
        if (toSend.length === 0) continue;
        const created = await paypal.createPayout({
          senderBatchId: b.sender_batch_id,
          subject: `Clearing ${cycle.period} ${currency}`,
          items: toSend.map((p) => ({ senderItemId: p.sender_item_id, receiver: payees.get(p.party)!.paypal_receiver, recipientType: payees.get(p.party)!.recipient_type, amount: { currency, value: paypalValue(BigInt(p.amount), currency) }, note: `Clearing statement ${p.statement_id}` })),
        });
        await db('clearing_payout_batches').where({ sender_batch_id: b.sender_batch_id }).update({ payout_batch_id: created.payoutBatchId, batch_status: created.status });
        await db('clearing_payments').whereIn('id', toSend.map((p) => p.id)).update({ status: 'pending', updated_at: db.fn.now() });
        b.payout_batch_id = created.payoutBatchId;
        report.payouts_sent += toSend.length;
      }
      const status = await paypal.getPayout(b.payout_batch_id);
      await db('clearing_payout_batches').where({ sender_batch_id: b.sender_batch_id }).update({ batch_status: status.status });
      for (const item of status.items) {
        const p = items.find((x) => x.sender_item_id === item.senderItemId);
        if (!p || p.status === 'completed' || p.status === 'failed') continue;
        if (item.status === 'SUCCESS') {
          await db.transaction(async (trx) => {
            await postEntries(db, trx, [{ kind: 'payout.posted', ref: `payout:${p.id}:posted`, cycleId, memo: `payout item ${item.payoutItemId}`, lines: [{ owner: HUB, kind: 'in_transit', currency, amount: BigInt(p.amount) }, { owner: HUB, kind: 'cash', currency, amount: -BigInt(p.amount) }] }]);
            await trx('clearing_payments').where({ id: p.id }).update({ status: 'completed', payout_item_id: item.payoutItemId, transaction_id: item.transactionId, paypal_status: item.status, updated_at: trx.fn.now() });
          });
          report.payouts_completed += 1;
        } else if (FAILED_ITEM.has(item.status)) {
          await db.transaction(async (trx) => {
            const pending = await trx('ledger_entries').where({ ref: `payout:${p.id}:pending` }).first('id');
            await postEntries(db, trx, [{ kind: 'payout.voided', ref: `payout:${p.id}:voided`, cycleId, reversesEntryId: pending.id, memo: `payout item ${item.status} ${item.error ?? ''}`.trim(), lines: reversedLines(await linesOf(trx, pending.id)) }]);
            await trx('clearing_payments').where({ id: p.id }).update({ status: 'failed', payout_item_id: item.payoutItemId, paypal_status: item.status, error: JSON.stringify({ error: item.error }), updated_at: trx.fn.now() });
          });
          report.payouts_failed += 1;
        } else {
          await db('clearing_payments').where({ id: p.id }).update({ payout_item_id: item.payoutItemId, paypal_status: item.status, updated_at: db.fn.now() });
          report.payouts_pending += 1;
        }
        tick(`payout ${p.party}`);
      }
    } catch (err) {
      report.errors.push(`payout batch ${b.sender_batch_id}: ${(err as Error).message}`);
    }
  }

  // 4. Settled when every non-zero position has a completed payment, or bank transfers covering what the party owes.
  const open: { party: string; settle_amount: string }[] = await db('clearing_positions as pos')
    .where({ 'pos.cycle_id': cycleId })
    .whereNot('pos.party', HUB)
    .whereNot('pos.settle_amount', 0)
    .whereNotExists(db('clearing_payments as pay').whereRaw("pay.cycle_id = pos.cycle_id AND pay.party = pos.party AND pay.status = 'completed'"))
    .select('pos.party', 'pos.settle_amount');
  let unsettled = 0;
  for (const pos of open) {
    const owed = -BigInt(pos.settle_amount);
    if (owed <= 0n || (await bankTransfers(db, statementId(label, pos.party))) < owed) unsettled += 1;
  }
  if (unsettled === 0) await db('clearing_cycles').where({ id: cycleId }).whereIn('state', ['netted', 'settling']).update({ state: 'settled', settled_at: db.fn.now() });
  report.state = (await db('clearing_cycles').where({ id: cycleId }).first('state')).state;
  return report;
}

export async function paymentsOf(db: Db, cycleId: string) {
  return db('clearing_payments').where({ cycle_id: cycleId }).orderBy('id').select('id', 'party', 'direction', 'amount', 'status', 'round', 'order_id', 'approval_url', 'capture_id', 'sender_batch_id', 'sender_item_id', 'payout_item_id', 'transaction_id', 'paypal_status');
}
