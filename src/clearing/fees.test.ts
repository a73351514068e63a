import { describe, expect, it } from 'vitest';
import { cdrValue, hubFees, settledAmount } from './fees.ts';

describe('fees', () => {
  it.each([
    { payer: 'CPO', fixed: 500n, ppm: 0, amount: 100000n, cpo: 500n, emsp: 0n },
    { payer: 'EMSP', fixed: 0n, ppm: 15000, amount: 100000n, cpo: 0n, emsp: 1500n },
    { payer: 'SPLIT', fixed: 1n, ppm: 10000, amount: 100000n, cpo: 500n, emsp: 501n },
    { payer: 'CPO', fixed: 0n, ppm: 10000, amount: 50n, cpo: 0n, emsp: 0n }, // 0.5 rounds half-even to 0
    { payer: 'CPO', fixed: 0n, ppm: 10000, amount: 150n, cpo: 2n, emsp: 0n }, // 1.5 → 2
    { payer: 'EMSP', fixed: 100n, ppm: 10000, amount: -5000n, cpo: 0n, emsp: 100n }, // no percentage on a negative value
  ] as const)('$payer pays fixed $fixed + $ppm ppm of $amount', ({ payer, fixed, ppm, amount, cpo, emsp }) => {
    expect(hubFees(amount, { feeFixed: fixed, feeRatePpm: ppm, feePayer: payer })).toEqual({ feeCpo: cpo, feeEmsp: emsp });
  });

  it('settles incl. or excl. VAT as agreed, falling back to excl. when incl. is absent', () => {
    const v = cdrValue({ excl_vat: '10.00', incl_vat: '12.10' });
    expect(settledAmount(v, 'INCL_VAT')).toBe(121000n);
    expect(settledAmount(v, 'EXCL_VAT')).toBe(100000n);
    expect(settledAmount(cdrValue({ excl_vat: 5 }), 'INCL_VAT')).toBe(50000n);
  });
});
