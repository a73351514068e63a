import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceilToMultiple, compare, divide, divideByInteger, exactOf, fromInteger, minus, plus, roundTo, rounded, shift, text, times, type Exact } from './exact.ts';

// decimal.js is the reference: exact.ts must agree with it on every operation it implements.
const D = Decimal.clone({ precision: 300, rounding: Decimal.ROUND_HALF_UP });
/** num / den in one correctly rounded division: exact whenever the quotient terminates within 300 digits. */
const ratio = (num: bigint, den: bigint) => new D(num.toString()).dividedBy(new D(den.toString()));
const p10 = (n: number) => 10n ** BigInt(n);
const dec = (e: Exact) => ratio(e.m, p10(e.s) * e.d);
const at40 = (d: Decimal) => plain(d.toDecimalPlaces(40, Decimal.ROUND_HALF_UP));
const plain = (d: Decimal) => (d.isZero() ? '0' : d.toFixed());
/** Decimals (d = 1) mostly, and quotients by 3, 7, 3600 or 3,600,000 (seconds or milliseconds → hours). */
const anExact = fc.record({
  m: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  s: fc.integer({ min: 0, max: 25 }),
  d: fc.constantFrom(1n, 1n, 1n, 3n, 7n, 3600n, 3_600_000n),
});
const aDecimal = anExact.map((e) => ({ ...e, d: 1n }));
/** A quotient as decimal.js writes it to 30 places, for comparing text() of non-decimals. */
const text30 = (e: Exact) => plain(dec(e).toDecimalPlaces(e.d === 1n ? 1000 : 30, Decimal.ROUND_HALF_UP));

describe('exact decimals agree with decimal.js', () => {
  it('text is the exact value of a decimal (and 30 places of a quotient)', () => {
    fc.assert(
      fc.property(anExact, (e) => {
        expect(text(e)).toBe(text30(e));
      }),
      { numRuns: 5000 },
    );
  });

  it('rounded is half-up (away from zero) at any number of places', () => {
    fc.assert(
      fc.property(anExact, fc.integer({ min: 0, max: 12 }), (e, places) => {
        expect(rounded(e, places)).toBe(plain(dec(e).toDecimalPlaces(places, Decimal.ROUND_HALF_UP)));
      }),
      { numRuns: 10000 },
    );
  });

  it('rounded is right for mantissas near 2^53 and every scale (the double fast path)', () => {
    const nearSafe = fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n });
    fc.assert(
      fc.property(nearSafe, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 12 }), (m, s, places) => {
        const e = { m, s, d: 1n };
        expect(rounded(e, places)).toBe(plain(dec(e).toDecimalPlaces(places, Decimal.ROUND_HALF_UP)));
      }),
      { numRuns: 20000 },
    );
    for (const m of [2n ** 53n - 1n, -(2n ** 53n - 1n), 999999999999999n, 5000000000000000n, 4999999999999999n]) {
      for (let s = 0; s <= 20; s++) for (const places of [0, 4, 9]) expect(rounded({ m, s, d: 1n }, places)).toBe(plain(dec({ m, s, d: 1n }).toDecimalPlaces(places, Decimal.ROUND_HALF_UP)));
    }
  });

  it('a quotient rounds exactly at a midpoint: 0.00005 × 3600 / 3600 is 0.0001, (1/3) × 0.00015 is 0.0001 ', () => {
    expect(rounded(divideByInteger(exactOf('0.18', 'x'), 3600n), 4)).toBe('0.0001'); // 0.00005 exactly
    expect(rounded(divideByInteger(exactOf('0.00015', 'x'), 3n), 4)).toBe('0.0001'); // 0.00005 exactly
    expect(rounded(divideByInteger(exactOf('0.00014', 'x'), 3n), 4)).toBe('0'); // 0.0000466…
    expect(text(roundTo(divideByInteger(fromInteger(1), 3n), 6))).toBe('0.333333');
  });

  it('plus, minus, times, compare, shift are exact', () => {
    fc.assert(
      fc.property(anExact, anExact, fc.integer({ min: -5, max: 5 }), (a, b, n) => {
        // The reference builds each exact result as one fraction and divides once.
        const den = p10(a.s + b.s) * a.d * b.d;
        expect(rounded(plus(a, b), 40)).toBe(at40(ratio(a.m * p10(b.s) * b.d + b.m * p10(a.s) * a.d, den)));
        expect(rounded(minus(a, b), 40)).toBe(at40(ratio(a.m * p10(b.s) * b.d - b.m * p10(a.s) * a.d, den)));
        expect(rounded(times(a, b), 40)).toBe(at40(ratio(a.m * b.m, den)));
        expect(compare(a, b)).toBe(ratio(a.m * p10(b.s) * b.d - b.m * p10(a.s) * a.d, 1n).comparedTo(0));
        expect(rounded(shift(a, n), 40)).toBe(at40(n >= 0 ? ratio(a.m, p10(a.s + n) * a.d) : ratio(a.m * p10(-n), p10(a.s) * a.d)));
      }),
      { numRuns: 5000 },
    );
  });

  it('divide is exact (checked through 30-place rounding and by multiplying back)', () => {
    fc.assert(
      fc.property(anExact, anExact.filter((b) => b.m !== 0n), (a, b) => {
        const q = divide(a, b);
        const num = a.m * p10(b.s) * b.d;
        const den = b.m * p10(a.s) * a.d;
        expect(rounded(q, 30)).toBe(plain(ratio(num, den).toDecimalPlaces(30, Decimal.ROUND_HALF_UP)));
        expect(compare(times(q, b), a)).toBe(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('ceilToMultiple is the smallest multiple not below a positive value', () => {
    fc.assert(
      fc.property(anExact.filter((e) => e.m > 0n), fc.integer({ min: 1, max: 3600 }), (q, step) => {
        expect(text(ceilToMultiple(q, step))).toBe(plain(dec(q).dividedBy(step).ceil().times(step)));
      }),
    );
  });
});

describe('exactOf', () => {
  it.each([
    [0.1, '0.1'],
    [-0.5, '-0.5'],
    [1e-7, '0.0000001'],
    [1e21, '1000000000000000000000'],
    [123.456, '123.456'],
    ['007.50', '7.5'],
    ['-.5', '-0.5'],
    ['5.', '5'],
    ['12345678901234567890.123', '12345678901234567890.123'],
    ['1.5e3', '1500'],
  ])('%j → %s', (input, expected) => {
    expect(text(exactOf(input, 'x'))).toBe(expected);
  });

  it.each([NaN, Infinity, 'abc', '', '1,5', null, undefined, {}])('refuses %j', (input) => {
    expect(() => exactOf(input as never, 'x')).toThrow(/x: expected/);
  });

  it('reads a JSON number as its shortest decimal text', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }), (x) => {
      expect(text(exactOf(x, 'x'))).toBe(plain(new Decimal(x)));
    }));
  });

  it('integers', () => {
    expect(text(fromInteger(3600))).toBe('3600');
  });
});
