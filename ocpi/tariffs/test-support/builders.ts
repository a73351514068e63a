// Builders for tariffs and (partial) CDRs in tests: a session is a list of segments, each one
// charging period, so a test reads like the scenario it prices.
import type { CdrDimension, CdrDimensionType, CdrInput, DecimalInput, PriceComponent, Tariff, TariffElement, TariffRestrictions } from '../types.ts';

export interface Segment {
  minutes: number;
  /** charging → TIME, parking → PARKING_TIME, reservation → RESERVATION_TIME (hours = minutes / 60). */
  kind?: 'charging' | 'parking' | 'reservation';
  kwh?: DecimalInput;
  /** Further dimensions, e.g. { MAX_CURRENT: 16 }. */
  dims?: Partial<Record<CdrDimensionType, DecimalInput>>;
  /** Leave the time dimension out (the CDR then carries only what `kwh`/`dims` give). */
  noTime?: boolean;
  tariffId?: string;
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function aSession(start: string, segments: Segment[], extra: Partial<CdrInput> = {}): CdrInput {
  let at = Date.parse(start);
  const charging_periods = segments.map((s) => {
    const dimensions: CdrDimension[] = [];
    const hours = s.minutes / 60;
    if (!s.noTime) {
      const type = s.kind === 'parking' ? 'PARKING_TIME' : s.kind === 'reservation' ? 'RESERVATION_TIME' : 'TIME';
      dimensions.push({ type, volume: hours });
    }
    if (s.kwh !== undefined) dimensions.push({ type: 'ENERGY', volume: s.kwh });
    for (const [type, volume] of Object.entries(s.dims ?? {})) dimensions.push({ type: type as CdrDimensionType, volume: volume as DecimalInput });
    const period = { start_date_time: isoAt(at), dimensions, ...(s.tariffId ? { tariff_id: s.tariffId } : {}) };
    at += s.minutes * 60_000;
    return period;
  });
  return { start_date_time: isoAt(Date.parse(start)), end_date_time: isoAt(at), currency: 'EUR', charging_periods, ...extra };
}

export function pc(type: PriceComponent['type'], price: DecimalInput, opts: { vat?: DecimalInput; step?: number } = {}): PriceComponent {
  return { type, price, ...(opts.vat !== undefined ? { vat: opts.vat } : {}), step_size: opts.step ?? 1 };
}

export function el(components: PriceComponent[], restrictions?: TariffRestrictions): TariffElement {
  return restrictions ? { price_components: components, restrictions } : { price_components: components };
}

export function aTariff(elements: TariffElement[], extra: Partial<Tariff> = {}): Tariff {
  return { country_code: 'NL', party_id: 'ABC', id: 'T1', currency: 'EUR', elements, last_updated: '2024-01-01T00:00:00Z', ...extra };
}
