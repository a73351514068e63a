import { describe, expect, it } from 'vitest';
import { bankTransferBooking, bankTransferOpen, bankTransferWay } from './bankTransfer.ts';
import { HUB } from '../clearing/ledger.ts';

const a = (direction: 'party_pays' | 'hub_pays' | 'none', currency: string, status = 'overdue') => ({ statement_id: 'S1', party: 'NL-CPO', direction, currency, status: status as never });

describe('bankTransferWay', () => {
  it.each([
    ['party_pays', 'EUR', 'from_party'],
    ['party_pays', 'KWD', 'from_party'],
    ['hub_pays', 'KWD', 'from_hub'],
    ['hub_pays', 'EUR', /PayPal Payouts/],
    ['none', 'EUR', /nothing is owed/],
  ] as const)('%s in %s: %s', (direction, currency, expected) => {
    const found = bankTransferWay(a(direction, currency));
    if (typeof expected === 'string') expect(found).toEqual({ way: expected });
    else expect('refused' in found && found.refused).toMatch(expected);
  });
});

describe('bankTransferOpen', () => {
  it.each([
    ['party_pays', 'EUR', 'overdue', true],
    ['party_pays', 'EUR', 'paid', false],
    ['party_pays', 'EUR', 'written_off', false],
    ['hub_pays', 'KWD', 'open', true],
    ['hub_pays', 'KWD', 'paid', false],
    ['hub_pays', 'EUR', 'open', false],
  ] as const)('%s in %s, %s: %s', (direction, currency, status, open) => {
    expect(bankTransferOpen(a(direction, currency, status))).toBe(open);
  });
});

describe('bankTransferBooking', () => {
  it('moves cash in from the party, or out to it, balanced', () => {
    const incoming = bankTransferBooking('from_party', a('party_pays', 'EUR'), 100n, 'R1');
    const outgoing = bankTransferBooking('from_hub', a('hub_pays', 'KWD'), 100n, 'R2');
    expect(incoming.lines).toEqual([expect.objectContaining({ owner: HUB, kind: 'cash', amount: 100n }), expect.objectContaining({ owner: 'NL-CPO', kind: 'settlement', amount: -100n })]);
    expect(outgoing.lines).toEqual([expect.objectContaining({ owner: 'NL-CPO', kind: 'settlement', amount: 100n }), expect.objectContaining({ owner: HUB, kind: 'cash', amount: -100n })]);
    expect([incoming.kind, outgoing.kind]).toEqual(['billing.bank_transfer', 'billing.bank_payout']);
  });
});
