// Money inside the clearing house: integers (bigint) at a fixed scale of 4 decimals, the precision
// OCPI carries. Decimal strings at the edges; rounding to the currency's minor unit happens once,
// at settlement (toMinorUnits), and the residual is carried forward.
import { Decimal } from 'decimal.js';

export const SCALE = 4;
const FACTOR = 10n ** BigInt(SCALE);

/**
 * The smallest unit the hub settles in, where it differs from 2 decimals: ISO 4217's minor unit,
 * except HUF and TWD, which ISO gives 2 decimals but PayPal moves only in whole units (it refuses
 * any decimal in HUF, JPY and TWD amounts), so positions, refunds and payments round to those.
 */
const EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, HUF: 0, TWD: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3, JOD: 3 };

export function minorExponent(currency: string): number {
  return EXPONENTS[currency.toUpperCase()] ?? 2;
}

/** A decimal string or number from OCPI (e.g. "12.3456", 12.3) to units at scale 4. Refuses more than 4 decimals. */
export function toUnits(value: string | number | Decimal): bigint {
  const d = new Decimal(typeof value === 'number' ? String(value) : value);
  if (!d.isFinite()) throw new RangeError(`not a finite amount: ${String(value)}`);
  const scaled = d.times(10 ** SCALE);
  if (!scaled.isInteger()) throw new RangeError(`more than ${SCALE} decimals: ${String(value)}`);
  return BigInt(scaled.toFixed(0));
}

/** Units at scale 4 to a decimal string with `decimals` places (default 4); exact when decimals >= 4. */
export function formatUnits(units: bigint | string, decimals = SCALE): string {
  const d = new Decimal(String(units)).dividedBy(10 ** SCALE);
  return d.toFixed(decimals, Decimal.ROUND_HALF_EVEN);
}

/** An amount at scale 4 written to its currency's minor unit (JPY 3630, EUR 72.60, KWD 12.106). */
export function formatMoney(units: bigint | string, currency: string): string {
  return formatUnits(units, minorExponent(currency));
}

/**
 * Splits an amount at scale 4 into what can be paid in the currency's minor unit (rounded toward
 * zero, so the hub never pays or asks more than owed) and the residual that is carried forward.
 */
export function toMinorUnits(units: bigint, currency: string): { settle: bigint; residual: bigint } {
  const exponent = minorExponent(currency);
  const step = 10n ** BigInt(Math.max(0, SCALE - exponent));
  const settle = (units / step) * step; // bigint division truncates toward zero
  return { settle, residual: units - settle };
}

/** The PayPal `value` string of an amount already rounded to the minor unit. */
export function paypalValue(units: bigint, currency: string): string {
  const { residual } = toMinorUnits(units, currency);
  if (residual !== 0n) throw new RangeError(`amount ${formatUnits(units)} ${currency} is not in minor units`);
  return formatMoney(units < 0n ? -units : units, currency);
}

export function unitsFromPaypal(value: string): bigint {
  return toUnits(value);
}

/** Rounded half-even integer division for bigint (fees: a percentage of a value). */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let q = n / denominator;
  const r = n % denominator;
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

export const ONE = FACTOR;

export function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

export function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}
