// step_size (mod_tariffs.asciidoc PriceComponent; mod_cdrs.asciidoc "step_size" section, SHALL).
//
// - "Consumed amounts are rounded up to the smallest multiple of step_size that is greater than the
//   consumed amount": read as "not less than" (an exact multiple stays as it is); tariff_1's
//   150 min at step 60 s billing exactly 150 min supports that. step_size ≤ 0 (tariff_5 has 0) means
//   no rounding. Units: ENERGY in Wh, TIME and PARKING_TIME in seconds, so step_size 1 still rounds
//   115.2 Wh up to 116 Wh (the PriceComponent note's example).
// - Rounding applies once per session to the session total of what was priced, not per period:
//   ENERGY once; TIME and PARKING_TIME once combined; reservation TIME once on its own.
// - The step_size used is that of the last price component that priced the dimension, and the
//   rounding surplus is billed at that component's price, on that line ("the extra minutes are
//   added to the last period with a price component with a time-based dimension", step_size
//   example 3: later free periods do not take it).
// - When PARKING_TIME was priced, only the parking total is rounded and charging TIME is billed as
//   measured ("step_size is only taken into account for the total parking duration"); otherwise
//   the TIME total is rounded.
// - Only volumes a component priced count ("the total of billable parking time"); a component with
//   price 0 did price its volume, so that volume counts. Totals ≤ 0 (net export) are not rounded.
// - Before rounding up, the total in step units is rounded half-up to 3 decimals (1 ms, 1 mWh):
//   finer digits are not measurement but notation. Decimal hours cannot write most durations
//   exactly (25 min is 0.41666… h, sent as 0.4166666666666667), and without this a 25-minute
//   session at step_size 60 would bill 26 minutes.
import { ceilToMultiple, compare, divideByInteger, fromInteger, isZero, minus, plus, roundTo, shift, sign, times, ZERO, type Exact } from './exact.ts';

/** A priced (or unpriced) quantity of one dimension in one period. */
export interface SteppableLine {
  volume: Exact;
  billed: Exact;
  surplus: Exact;
  component: { stepSize: number } | null;
}

/** How a dimension's volume unit relates to its step_size unit. */
export interface StepUnit {
  /** Volume → step units (kWh → Wh: × 1000; h → s: × 3600). */
  toSteps(volume: Exact): Exact;
  /** Step units → volume. */
  fromSteps(steps: Exact): Exact;
}

/** kWh, step_size in Wh: exact both ways. */
export const WH: StepUnit = { toSteps: (v) => shift(v, -3), fromSteps: (q) => shift(q, 3) };

const SECONDS_PER_HOUR = fromInteger(3600);
/** Hours, step_size in seconds; seconds → hours is an exact quotient (see exact.ts). */
export const SECONDS: StepUnit = { toSteps: (v) => times(v, SECONDS_PER_HOUR), fromSteps: (q) => divideByInteger(q, 3600n) };

/** `quantity` (in step units: Wh or s) rounded up to the smallest multiple of `stepSize` not below it. */
export function roundUpToStep(quantity: Exact, stepSize: number): Exact {
  if (!(stepSize > 0) || sign(quantity) <= 0) return quantity;
  return ceilToMultiple(quantity, stepSize);
}

/** Round the priced total of `lines` and put the surplus on the last priced line. Returns that line. */
export function roundGroup(lines: SteppableLine[], unit: StepUnit): SteppableLine | null {
  let total = ZERO;
  let last: SteppableLine | null = null;
  for (const line of lines) {
    if (line.component === null) continue;
    total = plus(total, line.volume);
    if (!isZero(line.volume)) last = line;
  }
  if (last === null || last.component === null) return null;
  const step = last.component.stepSize;
  if (!(step > 0)) return last;
  const quantity = unit.toSteps(total);
  if (sign(quantity) <= 0) return last;
  const rounded = roundUpToStep(roundTo(quantity, 3), step);
  if (compare(rounded, quantity) === 0) return last;
  last.surplus = unit.fromSteps(minus(rounded, quantity));
  last.billed = plus(last.volume, last.surplus);
  return last;
}

export interface StepGroups {
  energy: SteppableLine[];
  time: SteppableLine[];
  parking: SteppableLine[];
  reservation: SteppableLine[];
}

/** Apply step_size to a whole session's lines, in place (billed and surplus of the rounded lines). */
export function applyStepSizes(groups: StepGroups): void {
  roundGroup(groups.energy, WH);
  const parkingPriced = groups.parking.some((l) => l.component !== null && !isZero(l.volume));
  roundGroup(parkingPriced ? groups.parking : groups.time, SECONDS);
  roundGroup(groups.reservation, SECONDS);
}
