// A bank transfer the hub made to a net receiver whose statement is in a currency PayPal does not
// take (no PayPal payout exists for it). Recorded like a received bank transfer, in the other
// direction: the party's settlement account is cleared against the hub's cash. Only for such
// statements: in a currency PayPal takes, the hub pays through Payouts, and a bank payment too would
// pay twice.
import type { Db } from '../store/db.ts';
import { getAccount, formatMoney } from '../billing/tracking.ts';
import { HUB, postEntries } from './ledger.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { minorExponent, toMinorUnits, toUnits } from './money.ts';
import { paypalSupports } from './paypal/currencies.ts';

export interface BankPayoutInput {
  statementId: string;
  amount: string;
  reference: string;
  receivedAt?: Date;
  actor: string;
  note?: string;
}

/** Idempotent per (statement, reference); refuses more than the hub still owes. */
export async function recordBankPayout(db: Db, input: BankPayoutInput) {
  const reference = input.reference.trim();
  if (!reference || reference.length > 200) throw invalid('reference: the bank reference is required (at most 200 characters)');
  return db.transaction(async (trx) => {
    const locked = await trx('billing_statements').where({ statement_id: input.statementId }).forUpdate().first('statement_id');
    if (!locked) throw notFound(`statement ${input.statementId}`);
    const account = await getAccount(trx, input.statementId);
    if (account.direction !== 'hub_pays') throw conflict(`statement ${account.statement_id}: the hub owes nothing on it (${account.direction})`);
    if (paypalSupports(account.currency)) throw conflict(`statement ${account.statement_id}: the hub pays ${account.currency} through PayPal Payouts (\`hub clearing settle\`), not by bank transfer`);
    const amount = amountIn(input.amount, account.currency);
    const existing = await trx('billing_payments').where({ statement_id: account.statement_id, method: 'bank_transfer', reference }).first();
    if (existing) {
      if (BigInt(existing.amount) === amount) return { payment_id: String(existing.id), duplicate: true, account };
      throw conflict(`reference ${reference} is already recorded for ${account.statement_id} with another amount (${formatMoney(BigInt(existing.amount), account.currency)})`);
    }
    if (amount > toUnits(account.balance)) throw conflict(`amount ${formatMoney(amount, account.currency)} is more than the hub still owes (${account.balance} ${account.currency})`);
    const [payment] = await trx('billing_payments')
      .insert({ statement_id: account.statement_id, method: 'bank_transfer', amount: amount.toString(), reference, received_at: input.receivedAt ?? new Date(), recorded_by: input.actor, note: input.note ?? null })
      .returning('id');
    const lines = [
      { owner: account.party, kind: 'settlement' as const, currency: account.currency, amount },
      { owner: HUB, kind: 'cash' as const, currency: account.currency, amount: -amount },
    ];
    await postEntries(db, trx, [{ kind: 'billing.bank_payout', ref: `billing:payment:${payment.id}`, cycleId: account.cycle_id, memo: `bank transfer ${reference} to ${account.party} for ${account.statement_id}`, lines }]);
    await trx('audit_log').insert({ actor: input.actor, action: 'billing.payout.record', subject: account.statement_id, details: JSON.stringify({ method: 'bank_transfer', amount: formatMoney(amount, account.currency), reference }) });
    return { payment_id: String(payment.id), duplicate: false, account: await getAccount(trx, account.statement_id) };
  });
}

function amountIn(value: string, currency: string): bigint {
  let units: bigint;
  try {
    units = toUnits(value);
  } catch {
    throw invalid('amount: must be a decimal amount, e.g. 120.50');
  }
  if (units <= 0n) throw invalid('amount: must be more than zero');
  if (toMinorUnits(units, currency).residual !== 0n) throw invalid(`amount: at most ${minorExponent(currency)} decimals in ${currency}`);
  return units;
}
