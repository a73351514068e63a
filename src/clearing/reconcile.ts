// Reconciliation: PayPal's Transaction Search against the ledger's view of a cycle's payments.
// Every mismatch is reported: a completed payment PayPal does not show, an amount or currency
// that differs, a PayPal transaction of this cycle the ledger does not know, a balance left in
// "in transit" for a payment that is not pending.
import type { Db } from '../store/db.ts';
import { getCycle } from './cycles.ts';
import { formatUnits, toUnits } from './money.ts';
import { HUB } from './ledger.ts';
import type { PayPalGateway, TransactionView } from './paypal/client.ts';

export interface Mismatch {
  kind: 'missing_in_paypal' | 'amount_mismatch' | 'unknown_in_ledger' | 'status_mismatch' | 'in_transit_balance';
  party?: string;
  payment_id?: string;
  paypal_transaction_id?: string;
  ledger?: string;
  paypal?: string;
  detail: string;
}

export interface ReconcileReport {
  cycle: string;
  checked_payments: number;
  paypal_transactions: number;
  matched: number;
  mismatches: Mismatch[];
}

const DAY = 86_400_000;

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
      mismatches.push({ kind: 'missing_in_paypal', party: p.party, payment_id: String(p.id), ledger: `${formatUnits(expected, 2)} ${p.currency.trim()}`, detail: `${p.direction} ${txId} is completed in the ledger but not found at PayPal` });
      continue;
    }
    const actual = toUnits(t.amount.value);
    if (actual !== expected || t.amount.currency !== p.currency.trim()) {
      mismatches.push({ kind: 'amount_mismatch', party: p.party, payment_id: String(p.id), paypal_transaction_id: t.id, ledger: `${formatUnits(expected, 2)} ${p.currency.trim()}`, paypal: `${t.amount.value} ${t.amount.currency}`, detail: 'amounts differ' });
      continue;
    }
    if (t.status !== 'S') {
      mismatches.push({ kind: 'status_mismatch', party: p.party, payment_id: String(p.id), paypal_transaction_id: t.id, paypal: t.status, detail: `PayPal reports status ${t.status}, the ledger completed` });
      continue;
    }
    matched += 1;
  }
  // PayPal transactions that belong to this cycle (our invoice ids and sender item ids) but that the ledger does not know.
  const invoiceIds = new Set(payments.map((p) => p.statement_id));
  const itemIds = new Set(payments.map((p) => p.sender_item_id).filter(Boolean));
  for (const t of transactions) {
    const ours = (t.invoiceId && invoiceIds.has(t.invoiceId) && t.eventCode !== 'T1107') || (t.customField && itemIds.has(t.customField));
    if (ours && !known.has(t.id)) mismatches.push({ kind: 'unknown_in_ledger', paypal_transaction_id: t.id, paypal: `${t.amount.value} ${t.amount.currency}`, detail: `PayPal ${t.eventCode} ${t.invoiceId ?? t.customField} has no completed payment in the ledger` });
  }
  // In transit: Σ pending payouts must equal the hub's in-transit balance for this cycle's entries.
  const inTransit = await db('ledger_lines as l').join('ledger_accounts as a', 'a.id', 'l.account_id').join('ledger_entries as e', 'e.id', 'l.entry_id').where({ 'e.cycle_id': cycleId, 'a.owner': HUB, 'a.kind': 'in_transit' }).sum({ s: 'l.amount' }).first();
  const pendingSum = payments.filter((p) => p.direction === 'payout' && (p.status === 'pending' || p.status === 'created')).reduce((s, p) => s + BigInt(p.amount), 0n);
  const balance = -BigInt(inTransit?.s ?? 0);
  if (balance !== pendingSum) mismatches.push({ kind: 'in_transit_balance', ledger: formatUnits(balance), detail: `in transit ${formatUnits(balance)} but pending payouts sum to ${formatUnits(pendingSum)}` });
  return { cycle: cycleId, checked_payments: payments.filter((p) => p.status === 'completed').length, paypal_transactions: transactions.length, matched, mismatches };
}
