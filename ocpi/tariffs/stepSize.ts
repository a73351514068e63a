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
import { Dec, SECONDS_PER_HOUR, WH_PER_KWH, ZERO } from './decimal.ts';

/** A priced (or unpriced) quantity of one dimension in one period. */
export interface SteppableLine {
  volume: Dec;
  billed: Dec;
  surplus: Dec;
  component: { stepSize: number } | null;
}

/** `quantity` (in step units: Wh or s) rounded up to the smallest multiple of `stepSize` not below it. */
export function roundUpToStep(quantity: Dec, stepSize: number): Dec {
  if (!(stepSize > 0) || quantity.lessThanOrEqualTo(0)) return quantity;
  return quantity.dividedBy(stepSize).ceil().times(stepSize);
}

/** Round the priced total of `lines` and put the surplus on the last priced line. Returns that line. */
export function roundGroup(lines: SteppableLine[], unitsPerVolume: Dec): SteppableLine | null {
  let total = ZERO;
  let last: SteppableLine | null = null;
  for (const line of lines) {
    if (line.component === null) continue;
    total = total.plus(line.volume);
    if (!line.volume.isZero()) last = line;
  }
  if (last === null || last.component === null) return null;
  const step = last.component.stepSize;
  if (!(step > 0)) return last;
  const quantity = total.times(unitsPerVolume);
  if (quantity.lessThanOrEqualTo(0)) return last;
  const rounded = roundUpToStep(quantity.toDecimalPlaces(3), step);
  if (rounded.equals(quantity)) return last;
  last.surplus = rounded.minus(quantity).dividedBy(unitsPerVolume);
  last.billed = last.volume.plus(last.surplus);
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
  roundGroup(groups.energy, WH_PER_KWH);
  const parkingPriced = groups.parking.some((l) => l.component !== null && !l.volume.isZero());
  roundGroup(parkingPriced ? groups.parking : groups.time, SECONDS_PER_HOUR);
  roundGroup(groups.reservation, SECONDS_PER_HOUR);
}
