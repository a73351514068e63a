// Exact numbers for the pricing loop: value = m / (10^s × d), with a BigInt mantissa m, a decimal
// scale s and a positive BigInt denominator d, which is 1 for every decimal a CDR or tariff holds.
//
// Why not decimal.js here: pricing a 6-period CDR does ~60 additions and multiplications plus ~40
// amounts to print, and through decimal.js (≈250 ns an operation) that capped the calculator at
// ≈13,000 prices/s against a target of 50,000. Sums and products of decimals need no rounding, so
// they are integer arithmetic on BigInt (≈20 ns), exactly: not one binary float touches an amount.
// decimal.js stays the decimal library for everything else (validation, explanations, exponent
// notation on input).
//
// The denominator keeps the two divisions pricing needs exact too: seconds → hours (÷ 3600 for
// step_size surpluses and period lengths) and the min/max_price VAT scaling. Nothing is rounded
// until an amount is printed (half-up, see rounded()).
import { Decimal } from 'decimal.js';
import { PricingInputError } from './errors.ts';
import type { DecimalInput } from './types.ts';

export interface Exact {
  readonly m: bigint;
  readonly s: number;
  /** Positive; 1n for plain decimals. */
  readonly d: bigint;
}

const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 120; i++, p *= 10n) POW10.push(p);

function pow10(n: number): bigint {
  return n < POW10.length ? POW10[n]! : 10n ** BigInt(n);
}

/** 10^0 … 10^22: exact as doubles. */
const POW10_NUMBER: number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

export const ZERO: Exact = Object.freeze({ m: 0n, s: 0, d: 1n });
export const ONE: Exact = Object.freeze({ m: 1n, s: 0, d: 1n });

const PLAIN = /^-?(\d+(\.\d*)?|\.\d+)$/;
const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** An exact decimal from JSON: a finite number (read through its shortest text, so 0.1 is 0.1) or a decimal string. */
export function exactOf(value: DecimalInput | null | undefined, path: string): Exact {
  const e = tryExact(value);
  if (e !== null) return e;
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  throw new PricingInputError(`${path}: expected ${typeof value === 'number' ? 'a finite number' : 'a decimal number'}, got ${shown}`, path);
}

/** exactOf without the error: null when `value` is not a finite number or a decimal string. */
export function tryExact(value: unknown): Exact | null {
  let text: string;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { m: BigInt(value), s: 0, d: 1n };
    if (!Number.isFinite(value)) return null;
    text = String(value);
    if (text.indexOf('e') < 0) {
      // A number's shortest text is plain unless it has an exponent. With at most 15 significant
      // digits, value × 10^s rounds to exactly those digits (the error is below 0.25), which is
      // cheaper than cutting the text up.
      const s = text.length - text.indexOf('.') - 1;
      const scaled = value * POW10_NUMBER[s]!;
      if (s <= 22 && Math.abs(scaled) < 1e15) return { m: BigInt(Math.round(scaled)), s, d: 1n };
      return parsePlain(text);
    }
  } else if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) {
    text = value.trim();
  } else {
    return null;
  }
  if (!PLAIN.test(text)) text = new Decimal(text).toFixed(); // exponent notation: 1e-7, 1.5e+21
  return parsePlain(text);
}

export function exactOrNull(value: DecimalInput | null | undefined, path: string): Exact | null {
  return value === null || value === undefined ? null : exactOf(value, path);
}

function parsePlain(text: string): Exact {
  const dot = text.indexOf('.');
  const digits = dot < 0 ? text : text.slice(0, dot) + text.slice(dot + 1);
  const s = dot < 0 ? 0 : text.length - dot - 1;
  // Up to 15 digits fit a double exactly, and BigInt(number) is several times cheaper than BigInt(text).
  if (digits.length <= 15 && digits !== '-' && digits !== '') return { m: BigInt(Number(digits)), s, d: 1n };
  return { m: BigInt(digits === '-' || digits === '' ? `${digits}0` : digits), s, d: 1n };
}

/** Drops trailing zeros of a decimal's mantissa (2.00 → 2), so products of compiled prices stay short. */
export function normalise(a: Exact): Exact {
  if (a.d !== 1n) return a;
  let { m, s } = a;
  while (s > 0 && m % 10n === 0n) {
    m /= 10n;
    s--;
  }
  return m === a.m ? a : { m, s, d: 1n };
}

export function fromInteger(n: number | bigint): Exact {
  return { m: BigInt(n), s: 0, d: 1n };
}

export function plus(a: Exact, b: Exact): Exact {
  if (b.m === 0n) return a;
  if (a.m === 0n) return b;
  let am = a.m;
  let bm = b.m;
  let s = a.s;
  if (a.s > b.s) bm *= pow10(a.s - b.s);
  else if (b.s > a.s) {
    am *= pow10(b.s - a.s);
    s = b.s;
  }
  if (a.d === b.d) return { m: am + bm, s, d: a.d };
  return { m: am * b.d + bm * a.d, s, d: a.d * b.d };
}

export function minus(a: Exact, b: Exact): Exact {
  return plus(a, { m: -b.m, s: b.s, d: b.d });
}

export function times(a: Exact, b: Exact): Exact {
  return { m: a.m * b.m, s: a.s + b.s, d: a.d === 1n ? b.d : b.d === 1n ? a.d : a.d * b.d };
}

/** a × 10^-n: exact division by a power of ten (kWh ↔ Wh). */
export function shift(a: Exact, n: number): Exact {
  return n >= 0 ? { m: a.m, s: a.s + n, d: a.d } : a.s >= -n ? { m: a.m, s: a.s + n, d: a.d } : { m: a.m * pow10(-n - a.s), s: 0, d: a.d };
}

export function compare(a: Exact, b: Exact): number {
  const scale = a.s > b.s ? a.s : b.s;
  const x = a.m * pow10(scale - a.s) * b.d;
  const y = b.m * pow10(scale - b.s) * a.d;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(a: Exact): boolean {
  return a.m === 0n;
}

export function sign(a: Exact): number {
  return a.m > 0n ? 1 : a.m < 0n ? -1 : 0;
}

export function max(a: Exact, b: Exact): Exact {
  return compare(a, b) >= 0 ? a : b;
}

/** Integer division rounding half-up (away from zero at exactly .5). */
function divRound(n: bigint, d: bigint): bigint {
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  let q = an / ad;
  if ((an - q * ad) * 2n >= ad) q += 1n;
  return negative ? -q : q;
}

/** Half-up (away from zero) to `places` decimals, as a plain decimal (d = 1). */
export function roundTo(a: Exact, places: number): Exact {
  if (a.d === 1n && a.s <= places) return a;
  const numerator = a.s < places ? a.m * pow10(places - a.s) : a.m;
  const denominator = a.s > places ? pow10(a.s - places) * a.d : a.d;
  return { m: divRound(numerator, denominator), s: places, d: 1n };
}

/** a / b, exactly. */
export function divide(a: Exact, b: Exact): Exact {
  if (b.m === 0n) throw new RangeError('division by zero');
  // (a.m / (10^a.s a.d)) / (b.m / (10^b.s b.d)) = (a.m × 10^b.s × b.d) / (b.m × 10^a.s × a.d)
  const numerator = a.m * pow10(b.s) * b.d;
  const denominator = b.m * pow10(a.s) * a.d;
  return denominator < 0n ? { m: -numerator, s: 0, d: -denominator } : { m: numerator, s: 0, d: denominator };
}

/** a / n for a positive integer n, exactly (seconds → hours: n = 3600). */
export function divideByInteger(a: Exact, n: bigint): Exact {
  return { m: a.m, s: a.s, d: a.d * n };
}

/** The smallest multiple of `step` (a positive integer) not below `q`, for q > 0. */
export function ceilToMultiple(q: Exact, step: number): Exact {
  const unit = BigInt(step) * pow10(q.s) * q.d;
  const blocks = q.m > 0n ? (q.m + unit - 1n) / unit : q.m / unit;
  return { m: blocks * BigInt(step), s: 0, d: 1n };
}

function absDigits(m: bigint): string {
  const n = Number(m);
  return Number.isSafeInteger(n) ? String(n < 0 ? -n : n) : (m < 0n ? -m : m).toString();
}

/** `digits` (of |m|) with `s` decimals as plain text without trailing zeros. */
function format(negative: boolean, digits: string, s: number): string {
  if (s > 0 && digits.length <= s) digits = digits.padStart(s + 1, '0');
  const cut = digits.length - s;
  let end = digits.length;
  while (end > cut && digits.charCodeAt(end - 1) === 48) end--; // trailing '0'
  const out = end === cut ? digits.slice(0, cut) : `${digits.slice(0, cut)}.${digits.slice(cut, end)}`;
  return negative && out !== '0' ? `-${out}` : out;
}

/**
 * Plain decimal text without trailing zeros: exact for decimals (d = 1), which is every value read
 * from input; a quotient is written to 30 decimals.
 */
export function text(a: Exact): string {
  if (a.m === 0n) return '0';
  if (a.d !== 1n) return rounded(a, 30);
  return format(a.m < 0n, absDigits(a.m), a.s);
}

/**
 * The exact text of a value read by exactOf from `input`: a JSON number's own shortest text when it
 * is plain (it then equals text(e) and costs nothing to make), else text(e).
 */
export function inputText(input: DecimalInput, e: Exact): string {
  if (typeof input === 'number') {
    const t = String(input);
    if (t.indexOf('e') < 0) return t;
  }
  return text(e);
}

/**
 * Half-up (away from zero) to `places` decimals, as text; never "-0". Rounds on the digits, which is
 * exact and cheaper than a BigInt division for every printed amount.
 */
export function rounded(a: Exact, places: number): string {
  if (a.m === 0n) return '0';
  if (a.d !== 1n) a = roundTo(a, places); // one division, then a short decimal
  // The double fast path needs every power of ten it uses exact: scales up to 15.
  let n = Number(a.m);
  if (Number.isSafeInteger(n) && a.s - places <= 15 && (a.s <= 15 || places <= 15)) return roundedSmall(n, a.s, places);
  if (a.s > places) {
    a = roundTo(a, places);
    n = Number(a.m);
    if (Number.isSafeInteger(n) && places <= 15) return roundedSmall(n, a.s, places);
  }
  const negative = a.m < 0n;
  let digits = absDigits(a.m);
  if (a.s <= places) return format(negative, digits, a.s);
  if (digits.length <= a.s) digits = digits.padStart(a.s + 1, '0');
  const keep = digits.length - (a.s - places);
  let kept = digits.slice(0, keep);
  if (digits.charCodeAt(keep) >= 53) kept = increment(kept); // next digit ≥ '5'
  return format(negative, kept, places);
}

/** rounded() for a mantissa that is a safe integer: integer arithmetic on doubles, exact below 2^53. */
function roundedSmall(m: number, s: number, places: number): string {
  const negative = m < 0;
  let q = negative ? -m : m;
  let scale = s;
  if (s > places) {
    const d = POW10_NUMBER[s - places]!;
    const whole = floorDiv(q, d);
    q = (q - whole * d) * 2 >= d ? whole + 1 : whole;
    scale = places;
  }
  while (scale > 0 && q % 10 === 0) {
    q /= 10;
    scale--;
  }
  if (q === 0) return '0';
  let out: string;
  if (scale === 0) {
    out = String(q);
  } else {
    const unit = POW10_NUMBER[scale]!;
    const int = floorDiv(q, unit);
    out = `${int}.${String(q - int * unit).padStart(scale, '0')}`;
  }
  return negative ? `-${out}` : out;
}

/** ⌊q / d⌋ for non-negative safe integers: the double division can be one off, so it is corrected. */
function floorDiv(q: number, d: number): number {
  let whole = Math.floor(q / d);
  if (whole * d > q) whole -= 1;
  else if ((whole + 1) * d <= q) whole += 1;
  return whole;
}

/** Adds one to a string of decimal digits. */
function increment(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits.charCodeAt(i) === 57) i--; // trailing '9's become '0's
  if (i < 0) return `1${'0'.repeat(digits.length)}`;
  return digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1) + '0'.repeat(digits.length - i - 1);
}
