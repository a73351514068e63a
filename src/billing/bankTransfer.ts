// Which bank transfers may be recorded on a statement and how each is booked: the party's transfer
// to the hub (it pays), or the hub's to the party where PayPal does not take the currency (so no
// PayPal payout exists). In a currency PayPal takes the hub pays through Payouts, and a bank payment
// too would pay twice. Pure: recordBankTransfer (tracking.ts) applies them for the CLI, the admin
// API and the portal alike.
import { HUB, type LineSpec } from '../clearing/ledger.ts';
import { paypalSupports } from '../clearing/paypal/currencies.ts';
import type { StatementAccount } from './tracking.ts';

export type BankTransferWay = 'from_party' | 'from_hub';

type Facts = Pick<StatementAccount, 'statement_id' | 'direction' | 'currency'>;

/** The way money moves by bank on this statement, or why none may be recorded. */
export function bankTransferWay(a: Facts): { way: BankTransferWay } | { refused: string } {
  if (a.direction === 'party_pays') return { way: 'from_party' };
  if (a.direction === 'hub_pays') {
    if (paypalSupports(a.currency)) return { refused: `statement ${a.statement_id}: the hub pays ${a.currency} through PayPal Payouts (\`hub clearing settle\`), not by bank transfer` };
    return { way: 'from_hub' };
  }
  return { refused: `statement ${a.statement_id}: nothing is owed on it either way` };
}

/** Whether an operator can record a bank transfer on it now (the forms offer one only then). */
export const bankTransferOpen = (a: Facts & Pick<StatementAccount, 'status'>): boolean => 'way' in bankTransferWay(a) && a.status !== 'paid' && a.status !== 'written_off';

/** The ledger entry and audit action of a transfer of `amount` (units at scale 4). */
export function bankTransferBooking(way: BankTransferWay, a: Facts & Pick<StatementAccount, 'party'>, amount: bigint, reference: string) {
  const lines: LineSpec[] =
    way === 'from_party'
      ? [
          { owner: HUB, kind: 'cash', currency: a.currency, amount },
          { owner: a.party, kind: 'settlement', currency: a.currency, amount: -amount },
        ]
      : [
          { owner: a.party, kind: 'settlement', currency: a.currency, amount },
          { owner: HUB, kind: 'cash', currency: a.currency, amount: -amount },
        ];
  return way === 'from_party'
    ? { kind: 'billing.bank_transfer', action: 'billing.payment.record', memo: `bank transfer ${reference} for ${a.statement_id}`, lines }
    : { kind: 'billing.bank_payout', action: 'billing.payout.record', memo: `bank transfer ${reference} to ${a.party} for ${a.statement_id}`, lines };
}
