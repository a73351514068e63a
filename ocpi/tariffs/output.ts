// A PriceResult as JSON for people and tools: amounts and volumes become JSON numbers. They are
// converted only here, at the edge, from decimal strings of at most 4 (amounts) or 9 (volumes)
// decimals, which a JSON number prints back exactly.
import type { PeriodBreakdown, PriceLine, PriceOut, PriceResult } from './types.ts';

export type PriceOutJson = { excl_vat: number; incl_vat: number };

function n(s: string): number {
  return Number(s);
}

function price(p: PriceOut): PriceOutJson {
  return { excl_vat: n(p.excl_vat), incl_vat: n(p.incl_vat) };
}

function bound(p: { excl_vat: string; incl_vat: string | null } | null) {
  return p === null ? null : { excl_vat: n(p.excl_vat), incl_vat: p.incl_vat === null ? null : n(p.incl_vat) };
}

function line(l: PriceLine) {
  return {
    ...l,
    price: l.price === null ? null : n(l.price),
    vat: l.vat === null ? null : n(l.vat),
    volume: n(l.volume),
    billed_volume: n(l.billed_volume),
    step_surplus: n(l.step_surplus),
    cost: price(l.cost),
  };
}

function period(p: PeriodBreakdown) {
  return { ...p, lines: p.lines.map(line) };
}

export function priceResultToJson(r: PriceResult) {
  return {
    ...r,
    total_cost: price(r.total_cost),
    total_fixed_cost: price(r.total_fixed_cost),
    total_energy_cost: price(r.total_energy_cost),
    total_time_cost: price(r.total_time_cost),
    total_parking_cost: price(r.total_parking_cost),
    total_reservation_cost: price(r.total_reservation_cost),
    total_energy: n(r.total_energy),
    total_time: n(r.total_time),
    total_parking_time: n(r.total_parking_time),
    total_reservation_time: n(r.total_reservation_time),
    price_limits:
      r.price_limits === null
        ? null
        : {
            ...r.price_limits,
            min_price: bound(r.price_limits.min_price),
            max_price: bound(r.price_limits.max_price),
            total_before_limits: price(r.price_limits.total_before_limits),
          },
    periods: r.periods.map(period),
  };
}
