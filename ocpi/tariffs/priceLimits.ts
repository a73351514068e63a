// min_price / max_price (mod_tariffs.asciidoc Tariff object and its note).
// - Applied to the session total after everything else, min first, then max, so with
//   min ≤ max the total always ends within [min, max].
// - excl. and incl. VAT are bounded independently ("the total cost … excluding VAT can never be
//   lower than the min_price excluding VAT", likewise including VAT): tariff_12 with 1.5 kWh bills
//   0.50 / 0.55 and tariff_6 with 50 kWh 10.00 / 11.00.
// - A bound without incl_vat (Price.incl_vat is optional): when its excl. bound applied, the incl.
//   total is scaled by the same factor, i.e. the session's effective VAT rate carries over (with
//   nothing billed before the bound, no VAT is known and incl = excl).
// - The per-dimension totals (total_energy_cost, …) stay what the lines add up to; only total_cost
//   is bounded, and `price_limits` in the result shows the total before and which bound applied.
import type { Amount, PriceBound } from './decimal.ts';
import { compare, divide, isZero, times } from './exact.ts';

export type LimitApplied = 'min_price' | 'max_price' | null;

export interface LimitedTotal {
  total: Amount;
  applied: { excl_vat: LimitApplied; incl_vat: LimitApplied };
}

export function applyPriceLimits(raw: Amount, min: PriceBound | null, max: PriceBound | null): LimitedTotal {
  let excl = raw.excl;
  let appliedExcl: LimitApplied = null;
  if (min && compare(excl, min.excl) < 0) {
    excl = min.excl;
    appliedExcl = 'min_price';
  }
  if (max && compare(excl, max.excl) > 0) {
    excl = max.excl;
    appliedExcl = 'max_price';
  }

  let incl = raw.incl;
  let appliedIncl: LimitApplied = null;
  const bounds: [PriceBound | null, 'min_price' | 'max_price'][] = [
    [min, 'min_price'],
    [max, 'max_price'],
  ];
  for (const [bound, kind] of bounds) {
    if (!bound) continue;
    if (bound.incl !== null) {
      if (kind === 'min_price' ? compare(incl, bound.incl) < 0 : compare(incl, bound.incl) > 0) {
        incl = bound.incl;
        appliedIncl = kind;
      }
    } else if (appliedExcl === kind) {
      incl = isZero(raw.excl) ? excl : divide(times(raw.incl, excl), raw.excl);
      appliedIncl = kind;
    }
  }
  return { total: { excl, incl }, applied: { excl_vat: appliedExcl, incl_vat: appliedIncl } };
}
