import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { divRoundHalfEven, formatUnits, paypalValue, toMinorUnits, toUnits } from './money.ts';

describe('money', () => {
  it.each([
    ['12.3456', 123456n],
    ['0', 0n],
    ['-1.5', -15000n],
    [7.1, 71000n],
    ['1e2', 1000000n],
  ])('toUnits(%s) = %s', (input, expected) => expect(toUnits(input)).toBe(expected));

  it('refuses more than 4 decimals rather than rounding silently', () => expect(() => toUnits('1.23456')).toThrow(RangeError));

  it.each([
    [123456n, 'EUR', 123400n, 56n],
    [-123456n, 'EUR', -123400n, -56n],
    [123456n, 'JPY', 120000n, 3456n],
    [123456n, 'KWD', 123450n, 6n],
    // PayPal takes no decimals in HUF and TWD: settled in whole units.
    [123456n, 'HUF', 120000n, 3456n],
    [-123456n, 'TWD', -120000n, -3456n],
  ])('toMinorUnits(%s %s) settles %s and carries %s', (units, currency, settle, residual) => {
    expect(toMinorUnits(units, currency)).toEqual({ settle, residual });
  });

  it('formats PayPal values in the minor unit', () => {
    expect(paypalValue(123400n, 'EUR')).toBe('12.34');
    expect(paypalValue(120000n, 'JPY')).toBe('12');
    expect(paypalValue(120000n, 'HUF')).toBe('12');
    expect(() => paypalValue(123400n, 'TWD')).toThrow(RangeError);
    expect(() => paypalValue(123456n, 'EUR')).toThrow(RangeError);
  });

  it.each([
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [-5n, 2n, -2n],
    [10n, 3n, 3n],
  ])('divRoundHalfEven(%s, %s) = %s', (n, d, q) => expect(divRoundHalfEven(n, d)).toBe(q));

  it('settle + residual = amount, |residual| below one minor unit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.constantFrom('EUR', 'JPY', 'KWD'), (units, currency) => {
        const { settle, residual } = toMinorUnits(units, currency);
        expect(settle + residual).toBe(units);
        expect(residual < 10000n && residual > -10000n).toBe(true);
        expect(toUnits(formatUnits(units))).toBe(units);
      }),
    );
  });
});
