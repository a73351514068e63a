// Reconciliation: PayPal's Transaction Search against the ledger's view of a cycle's payments
// and of the refunds made to the captures paid in it. Every mismatch is reported: a completed
// payment or refund PayPal does not show, an amount or currency that differs, a PayPal
// transaction of this cycle the ledger does not know, a refund whose ledger entry is missing or
// differs, a balance left in "in transit" for a payment that is not pending.
import type { Db } from '../store/db.ts';
import { getCycle } from './cycles.ts';
import { formatMoney, toUnits } from './money.ts';
import { HUB } from './ledger.ts';
import type { PayPalGateway, TransactionView } from './paypal/client.ts';

export interface Mismatch {
  kind: 'missing_in_paypal' | 'amount_mismatch' | 'unknown_in_ledger' | 'status_mismatch' | 'in_transit_balance' | 'missing_in_ledger';
  party?: string;
  payment_id?: string;
  refund_id?: string;
  paypal_transaction_id?: string;
  ledger?: string;
  paypal?: string;
  detail: string;
}

export interface ReconcileReport {
  cycle: string;
  checked_payments: number;
  checked_refunds: number;
  paypal_transactions: number;
  matched: number;
  mismatches: Mismatch[];
}

const DAY = 86_400_000;

/** An amount as the currency writes it (KWD 3 decimals, JPY none), as PayPal and the statements show it. */
const shown = (units: bigint, currency: string) => `${formatMoney(units, currency)} ${currency}`;

export async function reconcileCycle(db: Db, paypal: PayPalGateway, cycleId: string, now = new Date()): Promise<ReconcileReport> {
  const cycle = await getCycle(db, cycleId);
  const payments: Record<string, any>[] = await db('clearing_payments').where({ cycle_id: cycleId }).orderBy('id');
  const from = new Date((cycle.settlingAt ?? cycle.nettedAt ?? cycle.openedAt).getTime() - DAY);
  const transactions: TransactionView[] = [];
  for (let start = from; start < now; start = new Date(start.getTime() + 30 * DAY)) {
    const end = new Date(Math.min(start.getTime() + 30 * DAY, now.getTime() + 60_000));
    transactions.push(...(await paypal.searchTransactions({ start, end })));
  }
  const byId = new Map(transactions.map((t) => [t.id, t]));
  const mismatches: Mismatch[] = [];
  let matched = 0;
  const known = new Set<string>();
  for (const p of payments.filter((x) => x.status === 'completed')) {
    const txId = p.direction === 'collect' ? p.capture_id : p.transaction_id;
    known.add(txId);
    const t = byId.get(txId);
    const expected = p.direction === 'collect' ? BigInt(p.amount) : -BigInt(p.amount);
    if (!t) {
      mismatches.push({ kind: 'missing_in_paypal', party: p.party, payment_id: String(p.id), ledger: shown(expected, p.currency.trim()), detail: `${p.direction} ${txId} is completed in the ledger but not found at PayPal` });
      continue;
    }
    const actual = toUnits(t.amount.value);
    if (actual !== expected || t.amount.currency !== p.currency.trim()) {
      mismatches.push({ kind: 'amount_mismatch', party: p.party, payment_id: String(p.id), paypal_transaction_id: t.id, ledger: shown(expected, p.currency.trim()), paypal: `${t.amount.value} ${t.amount.currency}`, detail: 'amounts differ' });
      continue;
    }
    if (t.status !== 'S') {
      mismatches.push({ kind: 'status_mismatch', party: p.party, payment_id: String(p.id), paypal_transaction_id: t.id, paypal: t.status, detail: `PayPal reports status ${t.status}, the ledger completed` });
      continue;
    }
    matched += 1;
  }
  const refunds = await reconcileRefunds(db, cycleId, cycle.currency, byId, mismatches);
  for (const id of refunds.paypalIds) known.add(id);
  matched += refunds.matched;
  // PayPal transactions that belong to this cycle (our invoice ids and sender item ids) but that the ledger does not know.
  const invoiceIds = new Set(payments.map((p) => p.statement_id));
  const itemIds = new Set(payments.map((p) => p.sender_item_id).filter(Boolean));
  for (const t of transactions) {
    const ours = (t.invoiceId && invoiceIds.has(t.invoiceId)) || (t.customField && itemIds.has(t.customField));
    if (ours && !known.has(t.id)) mismatches.push({ kind: 'unknown_in_ledger', paypal_transaction_id: t.id, paypal: `${t.amount.value} ${t.amount.currency}`, detail: `PayPal ${t.eventCode} ${t.invoiceId ?? t.customField} has no completed payment or refund in the ledger` });
  }
  // In transit: Σ pending payouts must equal the hub's in-transit balance for this cycle's entries.
  const inTransit = await db('ledger_lines as l').join('ledger_accounts as a', 'a.id', 'l.account_id').join('ledger_entries as e', 'e.id', 'l.entry_id').where({ 'e.cycle_id': cycleId, 'a.owner': HUB, 'a.kind': 'in_transit' }).sum({ s: 'l.amount' }).first();
  const pendingSum = payments.filter((p) => p.direction === 'payout' && (p.status === 'pending' || p.status === 'created')).reduce((s, p) => s + BigInt(p.amount), 0n);
  const balance = -BigInt(inTransit?.s ?? 0);
  if (balance !== pendingSum) mismatches.push({ kind: 'in_transit_balance', ledger: shown(balance, cycle.currency), detail: `in transit ${shown(balance, cycle.currency)} but pending payouts sum to ${shown(pendingSum, cycle.currency)}` });
  return { cycle: cycleId, checked_payments: payments.filter((p) => p.status === 'completed').length, checked_refunds: refunds.checked, paypal_transactions: transactions.length, matched, mismatches };
}

/**
 * Refunds of captures paid in the cycle, three ways: the refund records, the ledger's refund
 * entries (hub cash out) and PayPal's refund transactions (T1107, negative amounts).
 */
async function reconcileRefunds(db: Db, cycleId: string, cycleCurrency: string, byId: Map<string, TransactionView>, mismatches: Mismatch[]): Promise<{ checked: number; matched: number; paypalIds: string[] }> {
  const refunds: Record<string, any>[] = await db('clearing_refunds as r').join('clearing_payments as p', 'p.id', 'r.payment_id').where('p.cycle_id', cycleId).orderBy('r.id').select('r.*');
  const entries: { ref: string; cash: string }[] = await db('ledger_entries as e')
    .join('ledger_lines as l', 'l.entry_id', 'e.id')
    .join('ledger_accounts as a', 'a.id', 'l.account_id')
    .where({ 'e.kind': 'refund.completed', 'e.cycle_id': cycleId, 'a.owner': HUB, 'a.kind': 'cash' })
    .groupBy('e.ref')
    .select('e.ref')
    .sum({ cash: 'l.amount' });
  const ledger = new Map(entries.map((e) => [e.ref, -BigInt(e.cash)]));
  const completed = refunds.filter((r) => r.status === 'completed');
  const paypalIds: string[] = [];
  let matched = 0;
  for (const r of completed) {
    const currency = String(r.currency).trim();
    const ref = `refund:${r.id}:completed`;
    const recorded = BigInt(r.amount);
    const booked = ledger.get(ref);
    ledger.delete(ref);
    const base = { party: r.party, refund_id: String(r.id), paypal_transaction_id: r.refund_id };
    if (booked === undefined) {
      mismatches.push({ kind: 'missing_in_ledger', ...base, detail: `refund ${r.refund_id} is completed but has no ledger entry` });
      continue;
    }
    if (booked !== recorded) {
      mismatches.push({ kind: 'amount_mismatch', ...base, ledger: shown(booked, currency), detail: `the ledger's refund entry is ${shown(booked, currency)}, the refund ${shown(recorded, currency)}` });
      continue;
    }
    paypalIds.push(r.refund_id);
    const t = byId.get(r.refund_id);
    if (!t) {
      mismatches.push({ kind: 'missing_in_paypal', ...base, ledger: shown(-recorded, currency), detail: `refund ${r.refund_id} is completed in the ledger but not found at PayPal` });
      continue;
    }
    if (toUnits(t.amount.value) !== -recorded || t.amount.currency !== currency) {
      mismatches.push({ kind: 'amount_mismatch', ...base, ledger: shown(-recorded, currency), paypal: `${t.amount.value} ${t.amount.currency}`, detail: 'refund amounts differ' });
      continue;
    }
    if (t.status !== 'S') {
      mismatches.push({ kind: 'status_mismatch', ...base, paypal: t.status, detail: `PayPal reports status ${t.status}, the ledger completed` });
      continue;
    }
    matched += 1;
  }
  // Refund entries in the ledger that no completed refund accounts for.
  for (const [ref, amount] of ledger) mismatches.push({ kind: 'missing_in_paypal', ledger: shown(-amount, cycleCurrency), detail: `ledger entry ${ref} pays a refund that PayPal does not show` });
  return { checked: completed.length, matched, paypalIds };
}
