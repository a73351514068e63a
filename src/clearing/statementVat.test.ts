import { describe, expect, it } from 'vitest';
import { vatByDirection } from './statements.ts';

// Counterparty lines carry VAT signed like their amount: positive on CPO lines, negative on eMSP lines.
describe('vatByDirection', () => {
  it.each([
    ['CPO only', [{ role: 'CPO', vat: '2.1000' }, { role: 'CPO', vat: '0.5000' }], { vat_receivable: '2.6000', vat_payable: '0.0000', vat_net: '2.6000' }],
    ['eMSP only', [{ role: 'EMSP', vat: '-4.2000' }], { vat_receivable: '0.0000', vat_payable: '4.2000', vat_net: '-4.2000' }],
    ['both roles, never added together', [{ role: 'CPO', vat: '2.6000' }, { role: 'EMSP', vat: '-4.2000' }], { vat_receivable: '2.6000', vat_payable: '4.2000', vat_net: '-1.6000' }],
    ['a credit CDR lowers its side', [{ role: 'CPO', vat: '2.1000' }, { role: 'CPO', vat: '-2.1000' }, { role: 'EMSP', vat: '-0.0001' }], { vat_receivable: '0.0000', vat_payable: '0.0001', vat_net: '-0.0001' }],
    ['no lines', [], { vat_receivable: '0.0000', vat_payable: '0.0000', vat_net: '0.0000' }],
  ] as const)('%s', (_name, lines, expected) => {
    expect(vatByDirection([...lines])).toEqual(expected);
  });
});
