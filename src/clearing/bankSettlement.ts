// Cycles in a currency PayPal does not take (paypal/currencies.ts) settle outside PayPal: no order,
// no payout; the payer pays the hub and the hub pays the receiver by bank transfer, each recorded
// with `hub statements pay`. Settling such a cycle is not an error: it says, statement by
// statement, what is still awaited, and the cycle is settled once every statement is paid.
import type { Db } from '../store/db.ts';
import { HUB, type Executor } from './ledger.ts';
import { formatMoney } from './money.ts';
import { statementId } from './statements.ts';

export type BankSettlementState = 'awaiting_bank_transfer' | 'partly_paid_by_bank_transfer' | 'paid_by_bank_transfer';

export interface BankSettlement {
  statement_id: string;
  party: string;
  direction: 'party_pays' | 'hub_pays';
  amount: string;
  paid_by_bank_transfer: string;
  state: BankSettlementState;
  /** What the settlement team does next, in words. */
  next: string;
}

export interface OutsidePayPal {
  currency: string;
  reason: string;
  statements: BankSettlement[];
}

export const outsidePayPalReason = (currency: string) => `PayPal does not take ${currency}: this cycle is settled outside PayPal, by bank transfers recorded with \`hub statements pay\``;

/** Pure: where a statement stands, from what it settles and what bank transfers cover. */
export function bankSettlementState(amount: bigint, paid: bigint): BankSettlementState {
  if (paid >= amount) return 'paid_by_bank_transfer';
  return paid > 0n ? 'partly_paid_by_bank_transfer' : 'awaiting_bank_transfer';
}

/** Σ bank transfers recorded for a statement (`hub statements pay`), in either direction. */
export async function bankTransfers(db: Executor, statement: string): Promise<bigint> {
  const row = await db('billing_payments').where({ statement_id: statement, method: 'bank_transfer' }).sum({ s: 'amount' }).first();
  return BigInt(row?.s ?? 0);
}

/** Every statement of the cycle that moves money, with what bank transfers have covered of it. */
export async function bankSettlements(db: Executor, cycle: { id: string; period: string; currency: string }): Promise<BankSettlement[]> {
  const currency = cycle.currency.trim();
  const positions: { party: string; settle_amount: string }[] = await db('clearing_positions').where({ cycle_id: cycle.id }).whereNot({ party: HUB }).whereNot({ settle_amount: 0 }).orderBy('party');
  const money = (units: bigint) => `${formatMoney(units, currency)} ${currency}`;
  const out: BankSettlement[] = [];
  for (const pos of positions) {
    const settle = BigInt(pos.settle_amount);
    const direction = settle < 0n ? 'party_pays' : 'hub_pays';
    const amount = settle < 0n ? -settle : settle;
    const id = statementId({ period: cycle.period, currency }, pos.party);
    const paid = await bankTransfers(db, id);
    const state = bankSettlementState(amount, paid);
    const rest = money(amount - paid);
    const next =
      state === 'paid_by_bank_transfer'
        ? 'paid by bank transfer'
        : direction === 'party_pays'
          ? `${pos.party} pays ${rest} by bank transfer; record it with \`hub statements pay ${id} --amount … --reference …\``
          : `the hub pays ${pos.party} ${rest} by bank transfer; record it with \`hub statements pay ${id} --amount … --reference …\``;
    out.push({ statement_id: id, party: pos.party, direction, amount: money(amount), paid_by_bank_transfer: money(paid), state, next });
  }
  return out;
}

/**
 * Settles a cycle outside PayPal: settling from the first run, settled once every statement is
 * paid by bank transfer. Called under the cycle's run lock.
 */
export async function settleByBankTransfer(db: Db, cycle: { id: string; period: string; currency: string; state: string }): Promise<{ state: string; outside_paypal: OutsidePayPal }> {
  const statements = await bankSettlements(db, cycle);
  if (cycle.state === 'netted') await db('clearing_cycles').where({ id: cycle.id, state: 'netted' }).update({ state: 'settling', settling_at: db.fn.now() });
  if (statements.every((s) => s.state === 'paid_by_bank_transfer')) await db('clearing_cycles').where({ id: cycle.id, state: 'settling' }).update({ state: 'settled', settled_at: db.fn.now() });
  const { state } = await db('clearing_cycles').where({ id: cycle.id }).first('state');
  const currency = cycle.currency.trim();
  return { state, outside_paypal: { currency, reason: outsidePayPalReason(currency), statements } };
}
