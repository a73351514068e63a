// Exact decimal arithmetic for prices: a private decimal.js constructor, so no other module's
// settings can change ours (and ours change no one else's).
import { Decimal as DecimalJs } from 'decimal.js';
import type { DecimalInput, Price, PriceOut } from './types.ts';
import { PricingInputError } from './errors.ts';

/**
 * 40 significant digits, half-up. Sums and products of the inputs are exact at this precision; the
 * only inexact step is seconds → hours (÷ 3600), whose error (≤ 1e-39 relative) cannot move a
 * 4-decimal rounding, because a value with a factor 3 in its denominator never lies exactly on a
 * rounding midpoint.
 */
export const Dec = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 30 });
export type Dec = DecimalJs;

export const ZERO = new Dec(0);
export const ONE = new Dec(1);
export const HUNDRED = new Dec(100);
export const SECONDS_PER_HOUR = new Dec(3600);
export const WH_PER_KWH = new Dec(1000);

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal from JSON: numbers go through their shortest text form (so 0.1 stays 0.1), strings must be plain decimals. */
export function toDec(value: DecimalInput | null | undefined, path: string): Dec {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PricingInputError(`${path}: expected a finite number, got ${value}`, path);
    return new Dec(value);
  }
  if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return new Dec(value.trim());
  throw new PricingInputError(`${path}: expected a decimal number, got ${JSON.stringify(value)}`, path);
}

export function toDecOrNull(value: DecimalInput | null | undefined, path: string): Dec | null {
  return value === null || value === undefined ? null : toDec(value, path);
}

/** Money as the output carries it: half-up to 4 decimals, plain notation, no trailing zeros, never "-0". */
export function money(value: Dec): string {
  const rounded = value.toDecimalPlaces(4, DecimalJs.ROUND_HALF_UP);
  return rounded.isZero() ? '0' : rounded.toFixed();
}

/** A volume as the output carries it: exact up to 9 decimals (sub-millisecond for hours), plain notation. */
export function volume(value: Dec): string {
  const rounded = value.toDecimalPlaces(9, DecimalJs.ROUND_HALF_UP);
  return rounded.isZero() ? '0' : rounded.toFixed();
}

/** A mutable pair of exact amounts while summing. */
export interface Amount {
  excl: Dec;
  incl: Dec;
}

export function zeroAmount(): Amount {
  return { excl: ZERO, incl: ZERO };
}

export function addInto(target: Amount, add: Amount): void {
  target.excl = target.excl.plus(add.excl);
  target.incl = target.incl.plus(add.incl);
}

export function priceOut(amount: Amount): PriceOut {
  return { excl_vat: money(amount.excl), incl_vat: money(amount.incl) };
}

/** A tariff's min_price/max_price; `incl` is null when the tariff gives only the excl. VAT bound. */
export interface PriceBound {
  excl: Dec;
  incl: Dec | null;
}

export function toPriceBound(price: Price | null | undefined, path: string): PriceBound | null {
  if (price === null || price === undefined) return null;
  return { excl: toDec(price.excl_vat, `${path}.excl_vat`), incl: toDecOrNull(price.incl_vat, `${path}.incl_vat`) };
}
