// Business-rule checks of a CDR the hub routes (issue 4, "Validation of routed CDRs"). Pure: what
// only the hub's store knows (the connector's power, whether a credit CDR's original exists, the
// tariffs) comes in as options. Findings flag a CDR; whether one rejects it is the caller's policy.
// The schema is not checked here (ocpi/schemas does that); a malformed field a rule needs yields a
// `malformed_field` finding and that rule is skipped.
import { Dec, toDec } from './decimal.ts';
import { exactOf, text, type Exact } from './exact.ts';
import { compileTariff } from './compiledTariff.ts';
import { PricingInputError } from './errors.ts';
import { parseOcpiDateTime } from './localTime.ts';
import { priceCdr } from './price.ts';
import { applyPriceLimits } from './priceLimits.ts';
import type { CdrInput, DecimalInput, Price, Tariff } from './types.ts';

export type CdrRule =
  | 'malformed_field'
  | 'end_before_start'
  | 'period_outside_session'
  | 'periods_not_ordered'
  | 'totals_mismatch'
  | 'parking_time_exceeds_total_time'
  | 'energy_exceeds_connector_power'
  | 'currency_mismatch'
  | 'credit_reference_missing'
  | 'credit_reference_unknown'
  | 'credit_totals_not_negative'
  | 'credit_reference_without_credit'
  | 'price_mismatch'
  | 'price_not_recomputable';

export interface PriceFigure {
  excl_vat: string;
  incl_vat: string | null;
}

export interface CdrFinding {
  rule: CdrRule;
  severity: 'error' | 'warning';
  message: string;
  /** The CDR field concerned, e.g. `charging_periods[2].start_date_time`. */
  path?: string;
  expected?: string | PriceFigure;
  actual?: string | PriceFigure;
}

/** The connector the session ran on, as the Location module describes it (W, V, A). */
export interface ConnectorPower {
  max_electric_power?: number | null;
  max_voltage?: number | null;
  max_amperage?: number | null;
  /** PowerType; else the CDR's cdr_location.connector_power_type gives the number of phases. */
  power_type?: string | null;
  phases?: number | null;
}

export interface ValidateCdrOptions {
  /** Tariffs to recompute the price with and check the currency against; default the CDR's own `tariffs`. */
  tariffs?: Tariff[] | null;
  /** IANA zone of the Location, for restrictions; see priceCdr. */
  timeZone?: string | null;
  connector?: ConnectorPower | null;
  /** For a credit CDR: whether the hub knows the CDR named by credit_reference_id. Unchecked when omitted. */
  creditReferenceKnown?: boolean | null;
  /** Largest accepted difference between amounts, in the CDR's currency; default 0.01. */
  tolerance?: DecimalInput;
  /** Recompute the price from the tariffs (default true when there are tariffs). */
  recomputePrice?: boolean;
}

const PHASES: Record<string, number> = { AC_1_PHASE: 1, AC_2_PHASE: 2, AC_2_PHASE_SPLIT: 2, AC_3_PHASE: 3, DC: 1 };
const ZERO = new Dec(0);
const COST_PARTS = ['total_fixed_cost', 'total_energy_cost', 'total_time_cost', 'total_parking_cost', 'total_reservation_cost'] as const;

export function validateCdr(cdr: CdrInput, options: ValidateCdrOptions = {}): CdrFinding[] {
  const findings: CdrFinding[] = [];
  const dec = (value: DecimalInput | null | undefined, path: string): Dec | null => {
    if (value === null || value === undefined) return null;
    try {
      return toDec(value, path);
    } catch (err) {
      findings.push({ rule: 'malformed_field', severity: 'error', path, message: err instanceof Error ? err.message : String(err) });
      return null;
    }
  };
  const instant = (value: unknown, path: string): number | null => {
    try {
      return parseOcpiDateTime(value, path);
    } catch (err) {
      findings.push({ rule: 'malformed_field', severity: 'error', path, message: err instanceof Error ? err.message : String(err) });
      return null;
    }
  };
  const price = (p: Price | null | undefined, path: string): { excl: Dec; incl: Dec | null } | null => {
    if (p === null || p === undefined) return null;
    const excl = dec(p.excl_vat, `${path}.excl_vat`);
    return excl === null ? null : { excl, incl: dec(p.incl_vat, `${path}.incl_vat`) };
  };
  const tolerance = dec(options.tolerance ?? '0.01', 'options.tolerance') ?? new Dec('0.01');
  const differs = (a: Dec, b: Dec) => a.minus(b).abs().greaterThan(tolerance);
  const credit = cdr.credit === true;

  // Session and periods.
  const start = instant(cdr.start_date_time, 'start_date_time');
  const end = instant(cdr.end_date_time, 'end_date_time');
  if (start !== null && end !== null && end < start) {
    findings.push({ rule: 'end_before_start', severity: 'error', path: 'end_date_time', message: `the session ends (${cdr.end_date_time}) before it starts (${cdr.start_date_time})`, expected: `≥ ${cdr.start_date_time}`, actual: cdr.end_date_time });
  }
  let previous: number | null = null;
  (Array.isArray(cdr.charging_periods) ? cdr.charging_periods : []).forEach((p, i) => {
    const path = `charging_periods[${i}].start_date_time`;
    const at = instant(p?.start_date_time, path);
    if (at === null) return;
    if ((start !== null && at < start) || (end !== null && at > end)) {
      findings.push({ rule: 'period_outside_session', severity: 'error', path, message: `period ${i} starts at ${p.start_date_time}, outside the session ${cdr.start_date_time} – ${cdr.end_date_time}`, expected: `${cdr.start_date_time} – ${cdr.end_date_time}`, actual: p.start_date_time });
    }
    if (previous !== null && at <= previous) {
      findings.push({ rule: 'periods_not_ordered', severity: 'error', path, message: `period ${i} starts at ${p.start_date_time}, not after the period before it`, actual: p.start_date_time });
    }
    previous = at;
  });

  // Totals equal the sum of their parts. A Credit CDR negates total_cost only ("Only the values in
  // the total_cost field SHALL contain the negative amounts"), so its parts add up to -total_cost.
  // A total equal to the sum bounded by a tariff's min_price/max_price also adds up, bounded as
  // pricing bounds it (priceLimits.ts): a bound without incl_vat scales the incl. sum by the
  // session's VAT rate, so a plain clamp of the incl. sum would flag a correctly priced CDR.
  const total = price(cdr.total_cost, 'total_cost');
  const parts = COST_PARTS.map((f) => price(cdr[f], f));
  const tariffs = options.tariffs && options.tariffs.length > 0 ? options.tariffs : (cdr.tariffs ?? []);
  if (total && parts.some((p) => p !== null)) {
    const sign = credit ? -1 : 1;
    const sumExcl = parts.reduce((s, p) => (p ? s.plus(p.excl) : s), ZERO);
    const inclKnown = total.incl !== null && parts.every((p) => p === null || p.incl !== null);
    const sumIncl = inclKnown ? parts.reduce((s, p) => (p ? s.plus(p.incl!) : s), ZERO) : null;
    const billedExcl = total.excl.times(sign);
    const billedIncl = total.incl?.times(sign) ?? null;
    const bounded = boundedSums(tariffs, sumExcl, sumIncl ?? sumExcl);
    const exclOk = !differs(sumExcl, billedExcl) || bounded.some((b) => !differs(b.excl, billedExcl));
    const inclOk =
      sumIncl === null || billedIncl === null || !differs(sumIncl, billedIncl) || bounded.some((b) => !b.incl.minus(billedIncl).abs().greaterThan(tolerance.times(b.inclScale)));
    if (!exclOk || !inclOk) {
      findings.push({
        rule: 'totals_mismatch',
        severity: 'error',
        path: 'total_cost',
        message: `total_cost ${figure(total).excl_vat} excl / ${figure(total).incl_vat ?? '–'} incl is not the sum of ${COST_PARTS.filter((_, i) => parts[i]).join(', ')}${credit ? ' (negated, credit CDR)' : ''}`,
        expected: { excl_vat: sumExcl.times(sign).toFixed(), incl_vat: sumIncl?.times(sign).toFixed() ?? null },
        actual: figure(total),
      });
    }
  }

  const totalTime = dec(cdr.total_time, 'total_time');
  const parkingTime = dec(cdr.total_parking_time, 'total_parking_time');
  if (totalTime !== null && parkingTime !== null && parkingTime.greaterThan(totalTime)) {
    findings.push({ rule: 'parking_time_exceeds_total_time', severity: 'error', path: 'total_parking_time', message: `total_parking_time ${parkingTime.toFixed()} h exceeds total_time ${totalTime.toFixed()} h`, expected: `≤ ${totalTime.toFixed()}`, actual: parkingTime.toFixed() });
  }

  // Energy no more than the connector can deliver over the charging time
  // (total_charging_time = total_time - total_parking_time; the session's length without total_time).
  const energy = dec(cdr.total_energy, 'total_energy');
  const maxKw = connectorKw(options.connector, cdr.cdr_location?.connector_power_type ?? null);
  if (energy !== null && maxKw !== null) {
    const chargingHours = totalTime !== null ? totalTime.minus(parkingTime ?? ZERO) : start !== null && end !== null ? new Dec(end - start).dividedBy(3_600_000) : null;
    if (chargingHours !== null) {
      const maxEnergy = maxKw.times(Dec.max(chargingHours, ZERO));
      if (energy.greaterThan(maxEnergy)) {
        findings.push({
          rule: 'energy_exceeds_connector_power',
          severity: 'error',
          path: 'total_energy',
          message: `total_energy ${energy.toFixed()} kWh is more than ${maxKw.toFixed()} kW can deliver in ${chargingHours.toDecimalPlaces(6).toFixed()} h of charging (${maxEnergy.toDecimalPlaces(6).toFixed()} kWh)`,
          expected: `≤ ${maxEnergy.toDecimalPlaces(6).toFixed()}`,
          actual: energy.toFixed(),
        });
      }
    }
  }

  tariffs.forEach((t, i) => {
    if (t && typeof t === 'object' && t.currency !== cdr.currency) {
      findings.push({ rule: 'currency_mismatch', severity: 'error', path: `tariffs[${i}].currency`, message: `tariff ${t.id} is in ${t.currency}, the CDR in ${cdr.currency}`, expected: cdr.currency, actual: t.currency });
    }
  });

  // Credit CDRs (mod_cdrs.asciidoc, "Credit CDRs").
  if (credit) {
    if (!cdr.credit_reference_id) {
      findings.push({ rule: 'credit_reference_missing', severity: 'error', path: 'credit_reference_id', message: 'a credit CDR needs credit_reference_id, the id of the CDR it credits' });
    } else if (options.creditReferenceKnown === false) {
      findings.push({ rule: 'credit_reference_unknown', severity: 'error', path: 'credit_reference_id', message: `credit_reference_id ${cdr.credit_reference_id} names no CDR the hub knows`, actual: cdr.credit_reference_id });
    }
    if (total && (total.excl.greaterThan(0) || (total.incl !== null && total.incl.greaterThan(0)))) {
      findings.push({ rule: 'credit_totals_not_negative', severity: 'error', path: 'total_cost', message: 'a credit CDR carries the negated total_cost of the CDR it credits', expected: '≤ 0', actual: figure(total) });
    }
  } else if (cdr.credit_reference_id) {
    findings.push({ rule: 'credit_reference_without_credit', severity: 'warning', path: 'credit', message: `credit_reference_id ${cdr.credit_reference_id} is set but credit is not true` });
  }

  // The billed price against the price recomputed from the tariffs.
  if (options.recomputePrice !== false && tariffs.length > 0 && total) {
    try {
      const priced = priceCdr({ tariffs, cdr, timeZone: options.timeZone ?? null });
      const sign = credit ? -1 : 1;
      const expExcl = new Dec(priced.total_cost.excl_vat).times(sign);
      const expIncl = new Dec(priced.total_cost.incl_vat).times(sign);
      if (differs(expExcl, total.excl) || (total.incl !== null && differs(expIncl, total.incl))) {
        const zoneNote = priced.time_zone_source === 'utc_fallback' ? ' (restrictions read in UTC: no time zone known)' : ` (restrictions read in ${priced.time_zone})`;
        findings.push({
          rule: 'price_mismatch',
          severity: 'error',
          path: 'total_cost',
          message: `billed ${figure(total).excl_vat} excl / ${figure(total).incl_vat ?? '–'} incl, but tariff ${priced.tariff.id} gives ${expExcl.toFixed()} excl / ${expIncl.toFixed()} incl${zoneNote}; tolerance ${tolerance.toFixed()}`,
          expected: { excl_vat: expExcl.toFixed(), incl_vat: expIncl.toFixed() },
          actual: figure(total),
        });
      }
    } catch (err) {
      if (!(err instanceof PricingInputError)) throw err;
      findings.push({ rule: 'price_not_recomputable', severity: 'warning', path: err.path, message: `the price could not be recomputed: ${err.message}` });
    }
  }
  return findings;
}

function figure(p: { excl: Dec; incl: Dec | null }): PriceFigure {
  return { excl_vat: p.excl.toFixed(), incl_vat: p.incl?.toFixed() ?? null };
}

/**
 * The parts' sum bounded by each tariff's min_price/max_price (tariffs without bounds give nothing).
 * `inclScale`: when a bound without incl_vat scaled the incl. sum by bound / excl. sum, the parts'
 * rounding is scaled as much, and so is the difference the incl. total may show.
 */
function boundedSums(tariffs: Tariff[], excl: Dec, incl: Dec): { excl: Dec; incl: Dec; inclScale: Dec }[] {
  const out: { excl: Dec; incl: Dec; inclScale: Dec }[] = [];
  for (const t of tariffs) {
    try {
      const c = compileTariff(t);
      if (!c.minPrice && !c.maxPrice) continue;
      const { total, applied } = applyPriceLimits({ excl: exactOf(excl.toFixed(), 'total'), incl: exactOf(incl.toFixed(), 'total') }, c.minPrice, c.maxPrice);
      const bound = applied.incl_vat === 'min_price' ? c.minPrice : applied.incl_vat === 'max_price' ? c.maxPrice : null;
      const scaled = bound !== null && bound.incl === null && !excl.isZero();
      out.push({ excl: dec(total.excl), incl: dec(total.incl), inclScale: scaled ? Dec.max(1, dec(total.excl).dividedBy(excl).abs()) : new Dec(1) });
    } catch {
      // A malformed tariff bounds nothing; price_not_recomputable reports it.
    }
  }
  return out;
}

function dec(e: Exact): Dec {
  return new Dec(text(e));
}

/** kW the connector can deliver: max_electric_power, else voltage × amperage × phases. */
function connectorKw(c: ConnectorPower | null | undefined, cdrPowerType: string | null): Dec | null {
  if (!c) return null;
  if (typeof c.max_electric_power === 'number' && c.max_electric_power > 0) return new Dec(c.max_electric_power).dividedBy(1000);
  if (typeof c.max_voltage === 'number' && typeof c.max_amperage === 'number') {
    const phases = c.phases ?? PHASES[c.power_type ?? cdrPowerType ?? ''] ?? 1;
    return new Dec(c.max_voltage).times(c.max_amperage).times(phases).dividedBy(1000);
  }
  return null;
}
