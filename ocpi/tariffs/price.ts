// priceCdr: the cost of a (partial) CDR under an OCPI 2.2.1 Tariff, with a per-period breakdown
// that explains every amount. Pure: no IO, no clock, no randomness.
//
// How a session is priced (SPEC-DIGEST §4; each rule's reading is documented where it is coded):
// 1. Choose one tariff (tariffSelection.ts) and the time zone restrictions are read in
//    (sessionTimeZone.ts).
// 2. Walk the charging periods in time order. At each period's start, for each dimension the
//    period carries, the first element in the tariff's list that has a component for that
//    dimension and whose restrictions hold prices the period's volume (mod_tariffs.asciidoc,
//    TariffElement: "the first Tariff Element with a Price Component for that dimension in the list
//    with matching Tariff Restrictions will be used"). No such element: that volume is free.
//    ENERGY volumes are priced by ENERGY, TIME by TIME, PARKING_TIME by PARKING_TIME (the 2026
//    erratum: time "the vehicle is not requesting power"; TIME is "time charging"), and
//    RESERVATION_TIME by the TIME component of a reservation element.
// 3. FLAT is billed once per session: at the first period where a FLAT component's element holds.
//    A reservation is a phase of its own with its own once-only FLAT (tariff_16 bills the
//    reservation fee and the start fee). An expired reservation has no session, so no start fee
//    (tariff_17 and tariff_18, expired). With several FLAT elements, the first that holds wins and
//    the others are not billed (only one component per dimension is active at a time).
// 4. step_size rounding (stepSize.ts), then cost = billed volume × price per line, VAT per
//    component (incl = excl × (1 + vat/100), no VAT when the component gives none), summed per
//    CDR cost field: FLAT → total_fixed_cost (a reservation element's FLAT → total_reservation_cost),
//    ENERGY → energy, TIME → time, PARKING_TIME → parking, reservation TIME → reservation.
// 5. min_price/max_price bound total_cost (priceLimits.ts).
// 6. Amounts are exact (exact.ts: decimals, and exact quotients for seconds → hours and the
//    min/max VAT scaling), rounded half-up to 4 decimals only in the output.
import { addInto, money, priceOut, volume, zeroAmount, type Amount } from './decimal.ts';
import { compare, isZero, ONE, plus, sign, text, times, ZERO, type Exact } from './exact.ts';
import type { ChangePoints, CompiledComponent, CompiledTariff, Phase } from './compiledTariff.ts';
import { PricingInputError } from './errors.ts';
import { parseOcpiDateTime, type LocalMoment, type TimeZone } from './localTime.ts';
import { readPeriods, type Period } from './periods.ts';
import { applyPriceLimits } from './priceLimits.ts';
import { restrictionsHold, UNEVALUABLE_CURRENT, UNEVALUABLE_POWER, type MomentState } from './restrictions.ts';
import { resolveSessionTimeZone } from './sessionTimeZone.ts';
import { applyStepSizes, type SteppableLine } from './stepSize.ts';
import { chooseTariff } from './tariffSelection.ts';
import type { CostCategory, PeriodBreakdown, PriceCdrInput, PriceLine, PriceResult, PricingWarning, Tariff, TariffDimensionType } from './types.ts';

interface Line extends SteppableLine {
  dimension: PriceLine['dimension'];
  category: CostCategory;
  component: CompiledComponent | null;
  unit: PriceLine['unit'];
  /** The measured volume's text when the CDR gave it in one dimension (saves printing it again). */
  volumeText: string | null;
  volumeSource: PriceLine['volume_source'];
  cost: Amount;
}

interface PeriodWork {
  period: Period;
  local: string;
  lines: Line[];
}

export function priceCdr(input: PriceCdrInput): PriceResult {
  const cdr = input?.cdr;
  if (cdr === null || typeof cdr !== 'object') throw new PricingInputError('cdr: expected a CDR object', 'cdr');
  const startMs = parseOcpiDateTime(cdr.start_date_time, 'cdr.start_date_time');
  const endMs = parseOcpiDateTime(cdr.end_date_time, 'cdr.end_date_time');
  if (endMs < startMs) throw new PricingInputError('cdr.end_date_time: before start_date_time', 'cdr.end_date_time');
  if (typeof cdr.currency !== 'string' || cdr.currency === '') throw new PricingInputError('cdr.currency: required', 'cdr.currency');

  const { zone, source } = resolveSessionTimeZone(input.timeZone, cdr);
  const session = readPeriods(cdr, startMs, endMs, input.reservationExpired);
  const given = input.tariffs === null || input.tariffs === undefined ? [] : Array.isArray(input.tariffs) ? input.tariffs : [input.tariffs];
  const candidates: Tariff[] = given.length > 0 ? given : (cdr.tariffs ?? []);
  const periodTariffIds: (string | null)[] = [];
  for (const p of session.periods) periodTariffIds.push(p.tariffId);
  const choice = chooseTariff(candidates, { currency: cdr.currency, startMs, periodTariffIds }, input.tariffId);
  const tariff = choice.compiled;
  const warnings: PricingWarning[] = [...session.warnings, ...choice.warnings];

  if (source === 'utc_fallback' && tariff.readsLocalTime) {
    warnings.push({
      code: 'utc_fallback_with_local_restrictions',
      message: `tariff ${tariff.tariff.id} has time-of-day, date or day-of-week restrictions but no time zone was given; they were read in UTC`,
    });
  }
  if (session.timeDerived && tariff.pricesChargingTime) {
    warnings.push({ code: 'time_derived_from_periods', message: 'the CDR carries no TIME or PARKING_TIME dimension; each period\'s length was priced as charging TIME' });
  }

  const expired = session.reservation === 'expired';
  const reservationPhase: Phase = expired ? 'reservation_expired' : 'reservation';
  const groups = { energy: [] as Line[], time: [] as Line[], parking: [] as Line[], reservation: [] as Line[] };
  const work: PeriodWork[] = [];
  let energySoFar: Exact = ZERO;
  let sessionFlatBilled = expired; // an expired reservation never became a session: no start fee
  let reservationFlatBilled = false;

  for (const p of session.periods) {
    const local = zone.local(p.startMs);
    const state: MomentState = {
      local,
      durationSeconds: (p.startMs - session.chargingStartMs) / 1000,
      energyKwh: energySoFar,
      current: p.current,
      power: p.power,
      unevaluable: 0,
    };
    // Reservation elements count duration from the reservation's start (the CDR's start).
    const reservationState: MomentState = p.reservation === null ? state : { ...state, durationSeconds: (p.startMs - startMs) / 1000 };
    const lines: Line[] = [];
    const pw: PeriodWork = { period: p, local: zone.describeLocal(local), lines };

    if (!p.reservationOnly && !sessionFlatBilled) {
      const c = select(tariff, 'charging', 'FLAT', state);
      if (c) {
        lines.push(flatLine(c, 'fixed'));
        sessionFlatBilled = true;
      }
    }
    if (p.reservation !== null && sign(p.reservation) > 0 && !reservationFlatBilled) {
      const c = select(tariff, reservationPhase, 'FLAT', reservationState);
      if (c) {
        lines.push(flatLine(c, 'reservation'));
        reservationFlatBilled = true;
      }
    }
    if (p.energy !== null) {
      const line = volumeLine('ENERGY', 'energy', 'kWh', p.energy, p.energyText, select(tariff, 'charging', 'ENERGY', state), 'cdr');
      lines.push(line);
      groups.energy.push(line);
    }
    if (p.time !== null) {
      const line = volumeLine('TIME', 'time', 'h', p.time, p.timeText, select(tariff, 'charging', 'TIME', state), p.timeDerived ? 'period_duration' : 'cdr');
      lines.push(line);
      groups.time.push(line);
    }
    if (p.parking !== null) {
      const line = volumeLine('PARKING_TIME', 'parking', 'h', p.parking, p.parkingText, select(tariff, 'charging', 'PARKING_TIME', state), 'cdr');
      lines.push(line);
      groups.parking.push(line);
    }
    if (p.reservation !== null) {
      const line = volumeLine('RESERVATION_TIME', 'reservation', 'h', p.reservation, p.reservationText, select(tariff, reservationPhase, 'TIME', reservationState), 'cdr');
      lines.push(line);
      groups.reservation.push(line);
    }

    const unevaluable = state.unevaluable | reservationState.unevaluable;
    if (unevaluable & UNEVALUABLE_CURRENT) warnings.push(notEvaluable(p.index, 'current', 'CURRENT, MIN_CURRENT or MAX_CURRENT'));
    if (unevaluable & UNEVALUABLE_POWER) warnings.push(notEvaluable(p.index, 'power', 'POWER, MIN_POWER or MAX_POWER'));
    if ((tariff.timeVarying && p.endMs - 1 > p.startMs) || (tariff.readsEnergy && p.energy !== null && sign(p.energy) > 0)) {
      const crossing = crossedBoundary(tariff, zone, p, lines, state, reservationState, reservationPhase);
      if (crossing) warnings.push(crossing);
    }
    if (p.energy !== null) energySoFar = plus(energySoFar, p.energy);
    work.push(pw);
  }

  applyStepSizes(groups);

  const totals: Record<CostCategory, Amount> = { fixed: zeroAmount(), energy: zeroAmount(), time: zeroAmount(), parking: zeroAmount(), reservation: zeroAmount() };
  for (const { lines } of work) {
    for (const line of lines) {
      const c = line.component;
      if (c === null) continue;
      const excl = line.dimension === 'FLAT' ? c.price : times(line.billed, c.price);
      line.cost = { excl, incl: c.vat === null ? excl : times(excl, c.vatFactor) };
      addInto(totals[line.category], line.cost);
    }
  }
  const raw = zeroAmount();
  addInto(raw, totals.fixed);
  addInto(raw, totals.energy);
  addInto(raw, totals.time);
  addInto(raw, totals.parking);
  addInto(raw, totals.reservation);
  const limited = applyPriceLimits(raw, tariff.minPrice, tariff.maxPrice);

  let totalTime: Exact = ZERO;
  let totalParking: Exact = ZERO;
  let totalReservation: Exact = ZERO;
  for (const p of session.periods) {
    if (p.time) totalTime = plus(totalTime, p.time);
    if (p.parking) totalParking = plus(totalParking, p.parking);
    if (p.reservation) totalReservation = plus(totalReservation, p.reservation);
  }

  const t = tariff.tariff;
  return {
    currency: cdr.currency,
    tariff: { id: t.id, country_code: t.country_code ?? null, party_id: t.party_id ?? null, reason: choice.reason },
    time_zone: zone.name,
    time_zone_source: source,
    reservation: session.reservation,
    total_cost: priceOut(limited.total),
    total_fixed_cost: priceOut(totals.fixed),
    total_energy_cost: priceOut(totals.energy),
    total_time_cost: priceOut(totals.time),
    total_parking_cost: priceOut(totals.parking),
    total_reservation_cost: priceOut(totals.reservation),
    total_energy: volume(energySoFar),
    total_time: volume(plus(totalTime, totalParking)),
    total_parking_time: volume(totalParking),
    total_reservation_time: volume(totalReservation),
    price_limits:
      tariff.minPrice || tariff.maxPrice
        ? {
            min_price: tariff.minPrice ? boundOut(tariff.minPrice) : null,
            max_price: tariff.maxPrice ? boundOut(tariff.maxPrice) : null,
            total_before_limits: priceOut(raw),
            applied: limited.applied,
          }
        : null,
    periods: work.map(periodOut),
    warnings,
  };
}

/** The first candidate component for `dimension` in `phase` whose element's restrictions hold. */
function select(t: CompiledTariff, phase: Phase, dimension: TariffDimensionType, state: MomentState): CompiledComponent | null {
  const candidates = t.candidates[phase][dimension];
  for (let i = 0; i < candidates.length; i++) if (restrictionsHold(candidates[i]!.restrictions, state)) return candidates[i]!;
  return null;
}

function notEvaluable(index: number, what: string, dimensions: string): PricingWarning {
  return {
    code: 'restriction_not_evaluable',
    period_index: index,
    message: `period ${index}: an element restricted by ${what} was skipped because the period carries no ${dimensions} dimension`,
  };
}

/** The cost of a line no component priced (never mutated: priced lines get their own). */
const NOTHING: Amount = Object.freeze({ excl: ZERO, incl: ZERO }) as Amount;

function flatLine(c: CompiledComponent, category: CostCategory): Line {
  return { dimension: 'FLAT', category, component: c, unit: 'unit', volume: ONE, billed: ONE, surplus: ZERO, volumeText: '1', volumeSource: 'flat', cost: NOTHING };
}

function volumeLine(
  dimension: Line['dimension'],
  category: CostCategory,
  unit: Line['unit'],
  v: Exact,
  volumeText: string | null,
  c: CompiledComponent | null,
  source: Line['volumeSource'],
): Line {
  return { dimension, category, component: c, unit, volume: v, billed: v, surplus: ZERO, volumeText, volumeSource: source, cost: NOTHING };
}

/**
 * A period is priced wholly by what holds at its start. When a time-varying restriction (clock,
 * calendar, duration) or the energy the period adds (min_kwh, max_kwh) would select another
 * component before the period ends, the CDR should have started a new period there; the price is
 * kept and the result says so. The selection is read at every instant inside the period where a
 * candidate's restriction can change, not only at the period's end: a period can run over a whole
 * window (16:00–21:00 over 17:00–20:00, or a whole day) and end where it started.
 */
function crossedBoundary(
  t: CompiledTariff,
  zone: TimeZone,
  p: Period,
  lines: Line[],
  state: MomentState,
  reservationState: MomentState,
  reservationPhase: Phase,
): PricingWarning | null {
  const last = p.endMs - 1;
  let lastLocal: LocalMoment | null = null;
  for (const line of lines) {
    if (line.dimension === 'FLAT' || isZero(line.volume)) continue;
    const reservation = line.dimension === 'RESERVATION_TIME';
    const phase = reservation ? reservationPhase : 'charging';
    const dimension = (reservation ? 'TIME' : line.dimension) as TariffDimensionType;
    const base = reservation ? reservationState : state;
    const points = t.changePoints[phase][dimension];
    // Energy consumed inside the period that passes a min_kwh or max_kwh (reaching it at the end is not passing it).
    if (points.kwh.length > 0 && p.energy !== null && sign(p.energy) > 0) {
      const atEnd = plus(base.energyKwh, p.energy);
      for (const kwh of points.kwh) {
        if (compare(kwh, base.energyKwh) <= 0 || compare(kwh, atEnd) >= 0) continue;
        const later = select(t, phase, dimension, { ...base, energyKwh: kwh, unevaluable: 0 });
        if (later !== line.component) {
          return {
            code: 'period_crosses_restriction_boundary',
            period_index: p.index,
            message: `period ${p.index}: ${line.dimension} is priced by ${describeComponent(line.component)}, which holds at the period's start, but ${describeComponent(later)} applies once the session has used ${text(kwh)} kWh, before the period ends; the CDR should start a new period where the price changes`,
          };
        }
      }
    }
    if (!t.timeVaryingCandidates[phase][dimension] || p.endMs - 1 <= p.startMs) continue; // nothing in this list changes with time alone
    lastLocal ??= zone.local(last);
    for (const at of changeInstants(points, zone, p, base, lastLocal)) {
      const moment: MomentState = { ...base, local: at === last ? lastLocal : zone.local(at), durationSeconds: base.durationSeconds + (at - p.startMs) / 1000, unevaluable: 0 };
      const later = select(t, phase, dimension, moment);
      if (later !== line.component) {
        return {
          code: 'period_crosses_restriction_boundary',
          period_index: p.index,
          message: `period ${p.index}: ${line.dimension} is priced by ${describeComponent(line.component)}, which holds at the period's start, but ${describeComponent(later)} applies before it ends (${zone.describe(at)}); the CDR should start a new period where the price changes`,
        };
      }
    }
  }
  return null;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

// Module-level rather than closures made per call: under the tsx loader every function expression
// is wrapped with its name when it is created, which cost about a third of pricing time here.
const describeComponent = (c: CompiledComponent | null) => (c ? `elements[${c.elementIndex}]` : 'no element (free)');
const ascending = (a: number, b: number) => a - b;

/** Adds `at` to `out` when it lies strictly inside (start, last). */
function pushInside(out: number[], at: number, start: number, last: number): void {
  if (at > start && at < last) out.push(at);
}

/**
 * Instants inside period `p`, in time order, where a restriction of the candidates can change, then
 * the period's last millisecond. Clock and calendar restrictions change only where the local wall
 * clock reads one of their times or midnight, so each local day of the period is tried at those
 * minutes, read with the day's offset and with the period's first and last offsets (DST: a wall
 * time in the repeated hour is two instants, one on each offset); duration
 * restrictions change where the elapsed time reaches min_duration or max_duration.
 */
function changeInstants(points: ChangePoints, zone: TimeZone, p: Period, base: MomentState, lastLocal: LocalMoment): number[] {
  const last = p.endMs - 1;
  const out: number[] = [];
  const start = p.startMs;
  for (const seconds of points.durations) pushInside(out, start + Math.ceil((seconds - base.durationSeconds) * 1000), start, last);
  if (points.minutes.length > 0) {
    const first = base.local;
    if (first.dateKey === lastLocal.dateKey && first.offsetMinutes === lastLocal.offsetMinutes) {
      // One local day on one offset, the common case: the wall clock runs with the instant.
      for (const minute of points.minutes) pushInside(out, start + minute * MS_PER_MINUTE - first.msOfDay, start, last);
    } else {
      const firstDay = Math.floor((p.startMs + first.offsetMinutes * MS_PER_MINUTE) / MS_PER_DAY);
      const lastDay = Math.floor((last + lastLocal.offsetMinutes * MS_PER_MINUTE) / MS_PER_DAY);
      for (let day = firstDay; day <= lastDay; day++) {
        const dayOffset = zone.offsetMinutes(day * MS_PER_DAY);
        for (const minute of points.minutes) {
          const wall = day * MS_PER_DAY + minute * MS_PER_MINUTE;
          pushInside(out, wall - dayOffset * MS_PER_MINUTE, start, last);
          if (first.offsetMinutes !== dayOffset) pushInside(out, wall - first.offsetMinutes * MS_PER_MINUTE, start, last);
          if (lastLocal.offsetMinutes !== dayOffset && lastLocal.offsetMinutes !== first.offsetMinutes) pushInside(out, wall - lastLocal.offsetMinutes * MS_PER_MINUTE, start, last);
        }
      }
    }
  }
  if (out.length > 1) out.sort(ascending);
  out.push(last);
  return out;
}

function boundOut(b: { excl: Exact; incl: Exact | null }) {
  return { excl_vat: money(b.excl), incl_vat: b.incl === null ? null : money(b.incl) };
}

function periodOut(w: PeriodWork): PeriodBreakdown {
  return {
    index: w.period.index,
    start_date_time: w.period.startText,
    end_date_time: w.period.endText,
    local_start: w.local,
    tariff_id: w.period.tariffId,
    lines: w.lines.map(lineOut),
  };
}

function lineOut(l: Line): PriceLine {
  const c = l.component;
  const measured = l.volumeText ?? (l.volumeSource === 'period_duration' ? volume(l.volume) : text(l.volume));
  return {
    dimension: l.dimension,
    category: l.category,
    element_index: c ? c.elementIndex : null,
    component_index: c ? c.componentIndex : null,
    unit: l.unit,
    price: c ? c.priceText : null,
    vat: c ? c.vatText : null,
    step_size: c && l.dimension !== 'FLAT' ? c.stepSize : null,
    volume: measured,
    billed_volume: l.billed === l.volume ? measured : volume(l.billed),
    step_surplus: l.surplus === ZERO ? '0' : volume(l.surplus),
    volume_source: l.volumeSource,
    cost: c === null ? { excl_vat: '0', incl_vat: '0' } : c.vat === null ? sameOut(l.cost.excl) : priceOut(l.cost),
  };
}

/** A cost without VAT: incl = excl, printed once. */
function sameOut(amount: Exact): PriceLine['cost'] {
  const t = money(amount);
  return { excl_vat: t, incl_vat: t };
}
