// A PriceResult as text for a settlement team answering "why was I charged this?": per period and
// dimension the element and component that priced it, its price, VAT and step_size, what was
// measured and billed and what it cost; then the totals, the time zone and where it came from.
import { Dec } from './decimal.ts';
import type { PriceLine, PriceResult, Tariff, TariffRestrictions } from './types.ts';

const REASONS: Record<PriceResult['tariff']['reason'], string> = {
  requested: 'the tariff id asked for',
  referenced_by_cdr: "referenced by the CDR's charging periods (tariff_id)",
  only_candidate: 'the only tariff given',
  valid_at_session_start: 'the first tariff valid at the session start',
  first_candidate: 'the first tariff given (none is valid at the session start)',
};

const ZONE_SOURCES: Record<PriceResult['time_zone_source'], string> = {
  input: 'given with the request (--timezone)',
  cdr: "the CDR's time_zone",
  utc_fallback: 'UTC ASSUMED: no time zone was given and the CDR carries none',
};

export function explainPrice(r: PriceResult, tariff?: Tariff): string {
  const out: string[] = [];
  const t = r.tariff;
  const owner = [t.country_code, t.party_id].filter(Boolean).join(' ');
  out.push(`Tariff ${t.id}${owner ? ` (${owner})` : ''}: ${REASONS[t.reason]}`);
  out.push(`Currency ${r.currency}; restrictions read in ${r.time_zone}, ${ZONE_SOURCES[r.time_zone_source]}`);
  if (r.reservation !== 'none') out.push(`Reservation: ${r.reservation === 'used' ? 'followed by a charging session' : 'expired without a charging session'}`);

  for (const p of r.periods) {
    out.push('');
    out.push(`Period ${p.index}  ${p.start_date_time} → ${p.end_date_time}  (local ${p.local_start})${p.tariff_id ? `  tariff_id ${p.tariff_id}` : ''}`);
    for (const l of p.lines) out.push(...explainLine(l, r.currency, tariff));
  }

  out.push('');
  out.push(`Totals (${r.currency})`.padEnd(24) + 'excl. VAT'.padStart(12) + 'incl. VAT'.padStart(12));
  const row = (label: string, p: { excl_vat: string; incl_vat: string }) => out.push(`  ${label.padEnd(22)}${amount(p.excl_vat).padStart(12)}${amount(p.incl_vat).padStart(12)}`);
  row('fixed (FLAT)', r.total_fixed_cost);
  row('energy', r.total_energy_cost);
  row('time (charging)', r.total_time_cost);
  row('parking', r.total_parking_cost);
  row('reservation', r.total_reservation_cost);
  if (r.price_limits) {
    row('sum before limits', r.price_limits.total_before_limits);
    const describe = (b: { excl_vat: string; incl_vat: string | null } | null) => (b ? `${b.excl_vat} excl / ${b.incl_vat ?? '–'} incl` : 'none');
    out.push(`  min_price ${describe(r.price_limits.min_price)}; max_price ${describe(r.price_limits.max_price)}`);
    const { excl_vat, incl_vat } = r.price_limits.applied;
    out.push(`  applied: excl. VAT ${excl_vat ?? 'none'}, incl. VAT ${incl_vat ?? 'none'}`);
  }
  row('TOTAL', r.total_cost);
  out.push('');
  out.push(
    `Measured: energy ${r.total_energy} kWh; time ${hours(r.total_time)} of which parking ${hours(r.total_parking_time)}` +
      (r.total_reservation_time !== '0' ? `; reservation ${hours(r.total_reservation_time)}` : ''),
  );
  if (r.warnings.length > 0) {
    out.push('');
    out.push('Warnings:');
    for (const w of r.warnings) out.push(`  - [${w.code}] ${w.message}`);
  }
  return `${out.join('\n')}\n`;
}

function explainLine(l: PriceLine, currency: string, tariff?: Tariff): string[] {
  const label = `  ${l.dimension.padEnd(18)}`;
  if (l.element_index === null) {
    const derived = l.volume_source === 'period_duration' ? ", the period's length" : '';
    return [`${label}no element applies: free (measured ${quantity(l, l.volume)}${derived})`];
  }
  const where = `elements[${l.element_index}].price_components[${l.component_index}]`;
  const restrictions = tariff?.elements[l.element_index]?.restrictions;
  const vat = l.vat === null ? 'no VAT' : `VAT ${l.vat}%`;
  if (l.dimension === 'FLAT') {
    return [
      `${label}${where}${restrictions ? ` [${describeRestrictions(restrictions)}]` : ''}`,
      `${' '.repeat(20)}flat fee ${currency} ${l.price}, ${vat}: cost ${amount(l.cost.excl_vat)} excl / ${amount(l.cost.incl_vat)} incl`,
    ];
  }
  const unit = l.unit === 'kWh' ? 'kWh' : 'h';
  const step = l.step_size === null ? '' : `, step_size ${l.step_size} ${l.unit === 'kWh' ? 'Wh' : 's'}`;
  const surplus = l.step_surplus !== '0' ? ` (+${quantity(l, l.step_surplus)} step_size rounding for the session)` : '';
  const derived = l.volume_source === 'period_duration' ? ' (the period\'s length: the CDR has no time dimensions)' : '';
  return [
    `${label}${where}${restrictions ? ` [${describeRestrictions(restrictions)}]` : ''}`,
    `${' '.repeat(20)}${currency} ${l.price} per ${unit}, ${vat}${step}`,
    `${' '.repeat(20)}measured ${quantity(l, l.volume)}${derived}, billed ${quantity(l, l.billed_volume)}${surplus}: cost ${amount(l.cost.excl_vat)} excl / ${amount(l.cost.incl_vat)} incl`,
  ];
}

function describeRestrictions(r: TariffRestrictions): string {
  return Object.entries(r)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(', ');
}

/** A 4-decimal amount string padded to exactly 4 decimals, without touching binary floats. */
function amount(s: string): string {
  return new Dec(s).toFixed(4);
}

function quantity(l: PriceLine, value: string): string {
  return l.unit === 'kWh' ? `${value} kWh` : hours(value);
}

/** `0.75` → `0.75 h (0:45:00)`. */
function hours(value: string): string {
  const seconds = new Dec(value).times(3600).toDecimalPlaces(0).toNumber();
  const sign = seconds < 0 ? '-' : '';
  const abs = Math.abs(seconds);
  const hh = Math.floor(abs / 3600);
  const mm = Math.floor(abs / 60) % 60;
  const ss = abs % 60;
  return `${value} h (${sign}${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')})`;
}
