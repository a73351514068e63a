// The decimal library (decimal.js, in a private configuration so no other module's settings change
// ours) and the Price helpers of the calculator. The pricing loop itself computes with exact
// numbers on BigInt (exact.ts); amounts leave it as decimal strings.
import { Decimal as DecimalJs } from 'decimal.js';
import { PricingInputError } from './errors.ts';
import { exactOrNull, plus, rounded, ZERO as EXACT_ZERO, type Exact } from './exact.ts';
import type { DecimalInput, Price, PriceOut } from './types.ts';

/** 40 significant digits, half-up (away from zero at .5). */
export const Dec = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 30 });
export type Dec = DecimalJs;

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal.js value from JSON: numbers through their shortest text form (0.1 stays 0.1), strings must be plain decimals. */
export function toDec(value: DecimalInput | null | undefined, path: string): Dec {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PricingInputError(`${path}: expected a finite number, got ${value}`, path);
    return new Dec(value);
  }
  if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return new Dec(value.trim());
  throw new PricingInputError(`${path}: expected a decimal number, got ${JSON.stringify(value)}`, path);
}

/** Money as the output carries it: half-up to 4 decimals, plain notation, no trailing zeros, never "-0". */
export function money(value: Exact): string {
  return rounded(value, 4);
}

/** A computed volume as the output carries it: half-up to 9 decimals (sub-millisecond for hours). */
export function volume(value: Exact): string {
  return rounded(value, 9);
}

/** A pair of exact amounts while summing. */
export interface Amount {
  excl: Exact;
  incl: Exact;
}

export function zeroAmount(): Amount {
  return { excl: EXACT_ZERO, incl: EXACT_ZERO };
}

export function addInto(target: Amount, add: Amount): void {
  target.excl = plus(target.excl, add.excl);
  target.incl = plus(target.incl, add.incl);
}

export function priceOut(amount: Amount): PriceOut {
  return { excl_vat: money(amount.excl), incl_vat: money(amount.incl) };
}

/** A tariff's min_price/max_price; `incl` is null when the tariff gives only the excl. VAT bound. */
export interface PriceBound {
  excl: Exact;
  incl: Exact | null;
}

export function toPriceBound(price: Price | null | undefined, path: string): PriceBound | null {
  if (price === null || price === undefined) return null;
  if (typeof price !== 'object') throw new PricingInputError(`${path}: expected a Price object`, path);
  const excl = exactOrNull(price.excl_vat, `${path}.excl_vat`);
  if (excl === null) throw new PricingInputError(`${path}.excl_vat: required`, `${path}.excl_vat`);
  return { excl, incl: exactOrNull(price.incl_vat, `${path}.incl_vat`) };
}
