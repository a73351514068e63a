import { describe, expect, it } from 'vitest';
import { checkPrice } from './priceCheck.ts';

describe('checkPrice', () => {
  it.each([
    [{ excl_vat: 4.65, incl_vat: 5.6265 }, { excl_vat: '4.65', incl_vat: '5.63' }, false, true],
    [{ excl_vat: 4.65, incl_vat: 4.65 }, { excl_vat: '20.00', incl_vat: '24.20' }, false, false],
    [{ excl_vat: 4.65, incl_vat: 5.63 }, { excl_vat: '4.65' }, false, true],
    [{ excl_vat: 4.65, incl_vat: 5.63 }, { excl_vat: '4.65', incl_vat: '6.00' }, false, false],
    [{ excl_vat: 4.65, incl_vat: 5.63 }, { excl_vat: '-4.65', incl_vat: '-5.63' }, true, true],
  ])('%j against %j (credit %s) agrees: %s', (computed, charged, credit, agrees) => {
    expect(checkPrice(computed, charged, credit)?.agrees).toBe(agrees);
  });

  it('gives the difference, and nothing without totals', () => {
    expect(checkPrice({ excl_vat: 4.65, incl_vat: 4.65 }, { excl_vat: '20.00' })?.difference).toBe('15.35');
    expect(checkPrice(undefined, { excl_vat: '1' })).toBeUndefined();
    expect(checkPrice({ excl_vat: 1, incl_vat: 1 }, {})).toBeUndefined();
  });
});
