// Whether a TariffElement's restrictions hold at one moment of a session (mod_tariffs.asciidoc,
// TariffRestrictions class). Restrictions are time-varying: they are read at the moment a charging
// period starts, because a CPO SHALL start a new ChargingPeriod whenever another price component
// becomes active (mod_cdrs.asciidoc, ChargingPeriod). All restrictions of an element are ANDed.
import { toDec } from './decimal.ts';
import { compare, exactOrNull, type Exact } from './exact.ts';
import { PricingInputError } from './errors.ts';
import { DAYS_OF_WEEK, type LocalMoment } from './localTime.ts';
import type { ReservationRestrictionType, TariffRestrictions } from './types.ts';

const TIME_OF_DAY = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const DATE = /^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const MINUTES_PER_DAY = 1440;

export interface CompiledRestrictions {
  /** Minutes since local midnight; `end` 00:00 is stored as 1440 ("to stop at end of the day use 00:00"). */
  startMinute: number | null;
  endMinute: number | null;
  /** yyyymmdd integers: start inclusive, end exclusive. */
  startDate: number | null;
  endDate: number | null;
  /** Bit (isoWeekday - 1) per allowed day; 0 = every day. */
  dayMask: number;
  minKwh: Exact | null;
  maxKwh: Exact | null;
  /** Current and power bounds are only ever compared, never computed with, so they are numbers. */
  minCurrent: number | null;
  maxCurrent: number | null;
  minPower: number | null;
  maxPower: number | null;
  minDuration: number | null;
  maxDuration: number | null;
  reservation: ReservationRestrictionType | null;
  /** Reads the local clock or calendar (start/end time or date, day_of_week). */
  readsLocalTime: boolean;
  /** Can change inside a period by the passing of time alone (local clock, calendar or duration). */
  timeVarying: boolean;
}

/**
 * A measurement of a period: its minimum, average and maximum when the CDR gives them. Numbers,
 * because they are only compared with restriction bounds: a JSON number is a double already, and
 * comparing doubles orders them exactly as their decimal values.
 */
export interface Measured {
  min: number | null;
  avg: number | null;
  max: number | null;
}

/** Bits of MomentState.unevaluable. */
export const UNEVALUABLE_CURRENT = 1;
export const UNEVALUABLE_POWER = 2;

/** Everything restrictions can look at, at one moment of the session. */
export interface MomentState {
  local: LocalMoment;
  /** Seconds since the session started (elapsed real time). */
  durationSeconds: number;
  /** kWh consumed before this moment. */
  energyKwh: Exact;
  /** Sum over phases, A (CURRENT, MIN_CURRENT, MAX_CURRENT dimensions). */
  current: Measured;
  /** kW (POWER, MIN_POWER, MAX_POWER dimensions). */
  power: Measured;
  /** Set by restrictionsHold: UNEVALUABLE_* bits of restrictions it could not judge for lack of a measurement. */
  unevaluable: number;
}

export const UNRESTRICTED: CompiledRestrictions = Object.freeze({
  startMinute: null,
  endMinute: null,
  startDate: null,
  endDate: null,
  dayMask: 0,
  minKwh: null,
  maxKwh: null,
  minCurrent: null,
  maxCurrent: null,
  minPower: null,
  maxPower: null,
  minDuration: null,
  maxDuration: null,
  reservation: null,
  readsLocalTime: false,
  timeVarying: false,
});

export function compileRestrictions(r: TariffRestrictions | null | undefined, path: string): CompiledRestrictions {
  if (r === null || r === undefined) return UNRESTRICTED;
  if (typeof r !== 'object') throw new PricingInputError(`${path}: expected an object`, path);
  let endMinute = parseTimeOfDay(r.end_time, `${path}.end_time`);
  if (endMinute === 0) endMinute = MINUTES_PER_DAY;
  let dayMask = 0;
  if (r.day_of_week !== null && r.day_of_week !== undefined) {
    if (!Array.isArray(r.day_of_week)) throw new PricingInputError(`${path}.day_of_week: expected a list of days`, `${path}.day_of_week`);
    r.day_of_week.forEach((day, i) => {
      const index = DAYS_OF_WEEK.indexOf(day);
      if (index < 0) throw new PricingInputError(`${path}.day_of_week[${i}]: unknown day ${JSON.stringify(day)}`, `${path}.day_of_week[${i}]`);
      dayMask |= 1 << index;
    });
  }
  const reservation = r.reservation ?? null;
  if (reservation !== null && reservation !== 'RESERVATION' && reservation !== 'RESERVATION_EXPIRES') {
    throw new PricingInputError(`${path}.reservation: expected RESERVATION or RESERVATION_EXPIRES, got ${JSON.stringify(reservation)}`, `${path}.reservation`);
  }
  const compiled: CompiledRestrictions = {
    startMinute: parseTimeOfDay(r.start_time, `${path}.start_time`),
    endMinute,
    startDate: parseDate(r.start_date, `${path}.start_date`),
    endDate: parseDate(r.end_date, `${path}.end_date`),
    dayMask,
    minKwh: exactOrNull(r.min_kwh, `${path}.min_kwh`),
    maxKwh: exactOrNull(r.max_kwh, `${path}.max_kwh`),
    minCurrent: boundNumber(r.min_current, `${path}.min_current`),
    maxCurrent: boundNumber(r.max_current, `${path}.max_current`),
    minPower: boundNumber(r.min_power, `${path}.min_power`),
    maxPower: boundNumber(r.max_power, `${path}.max_power`),
    minDuration: parseSeconds(r.min_duration, `${path}.min_duration`),
    maxDuration: parseSeconds(r.max_duration, `${path}.max_duration`),
    reservation,
    readsLocalTime: false,
    timeVarying: false,
  };
  compiled.readsLocalTime =
    compiled.startMinute !== null || compiled.endMinute !== null || compiled.startDate !== null || compiled.endDate !== null || compiled.dayMask !== 0;
  compiled.timeVarying = compiled.readsLocalTime || compiled.minDuration !== null || compiled.maxDuration !== null;
  return compiled;
}

/**
 * Whether every restriction holds at this moment. Bounds, each chosen where the spec is loose:
 * - start_time inclusive, end_time exclusive. The spec says only "valid until"; exclusive is what
 *   the step_size example #1 needs (tariff_14: at 17:00 the 17:00–20:00 element prices, not 00:00–17:00).
 * - end_time < start_time wraps past midnight (spec). end_time == start_time is read as a full
 *   24 h window starting at start_time (the only reading that is not empty). end_time 00:00 means
 *   the end of the day; a missing start_time means 00:00, a missing end_time the end of the day.
 * - day_of_week with a window that wraps past midnight: the part after midnight belongs to the day
 *   the window started (FRIDAY 22:00–06:00 holds on Saturday 01:00, not on Friday 01:00), the
 *   reading a CPO publishing "weeknights 22:00–06:00" means (see tandemdrive/ocpi-tariffs#64).
 * - start_date inclusive, end_date exclusive (spec), read on the local date of the instant itself:
 *   dates are a validity range (ocpi/ocpi#499), not a daily window.
 * - min_kwh inclusive, max_kwh exclusive (spec), against the energy consumed before the moment.
 * - min_current/min_power inclusive, max_current/max_power exclusive (spec: "more than, or equal
 *   to" / "less than"). "When the EV is charging with less than X" is judged on the period's
 *   MAX_ value (never above X during the period), falling back to the average, then the MIN_ value;
 *   "more than or equal to X" on the MIN_ value, then the average, then MAX_. With none of them
 *   the restriction does not hold and `onUnevaluable` is told (a warning in the result).
 * - min_duration inclusive (spec says "(inclusive)"; its "longer than" is read as the same),
 *   max_duration exclusive (spec), in seconds of elapsed time since the session started.
 */
export function restrictionsHold(r: CompiledRestrictions, s: MomentState): boolean {
  if (r === UNRESTRICTED) return true;
  let weekday = s.local.isoWeekday;
  if (r.startMinute !== null || r.endMinute !== null) {
    const t = s.local.minuteOfDay;
    const start = r.startMinute ?? 0;
    const end = r.endMinute ?? MINUTES_PER_DAY;
    if (end > start) {
      if (t < start || t >= end) return false;
    } else if (t < end) {
      weekday = weekday === 1 ? 7 : weekday - 1; // after midnight: the window began yesterday
    } else if (t < start) {
      return false;
    }
  }
  if (r.dayMask !== 0 && (r.dayMask & (1 << (weekday - 1))) === 0) return false;
  if (r.startDate !== null && s.local.dateKey < r.startDate) return false;
  if (r.endDate !== null && s.local.dateKey >= r.endDate) return false;
  if (r.minKwh !== null && compare(s.energyKwh, r.minKwh) < 0) return false;
  if (r.maxKwh !== null && compare(s.energyKwh, r.maxKwh) >= 0) return false;
  if (r.minDuration !== null && s.durationSeconds < r.minDuration) return false;
  if (r.maxDuration !== null && s.durationSeconds >= r.maxDuration) return false;
  if (r.minCurrent !== null || r.maxCurrent !== null) {
    if (!measuredHolds(r.minCurrent, r.maxCurrent, s.current)) {
      if (!hasAny(s.current)) s.unevaluable |= UNEVALUABLE_CURRENT;
      return false;
    }
  }
  if (r.minPower !== null || r.maxPower !== null) {
    if (!measuredHolds(r.minPower, r.maxPower, s.power)) {
      if (!hasAny(s.power)) s.unevaluable |= UNEVALUABLE_POWER;
      return false;
    }
  }
  return true;
}

function measuredHolds(min: number | null, max: number | null, m: Measured): boolean {
  if (min !== null) {
    const value = m.min ?? m.avg ?? m.max;
    if (value === null || value < min) return false;
  }
  if (max !== null) {
    const value = m.max ?? m.avg ?? m.min;
    if (value === null || value >= max) return false;
  }
  return true;
}

function hasAny(m: Measured): boolean {
  return m.min !== null || m.avg !== null || m.max !== null;
}

function boundNumber(value: TariffRestrictions['min_current'], path: string): number | null {
  return value === null || value === undefined ? null : toDec(value, path).toNumber();
}

function parseTimeOfDay(value: string | null | undefined, path: string): number | null {
  if (value === null || value === undefined) return null;
  const match = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  if (!match) throw new PricingInputError(`${path}: expected HH:MM (24 h, leading zeros), got ${JSON.stringify(value)}`, path);
  return Number(match[1]) * 60 + Number(match[2]);
}

function parseDate(value: string | null | undefined, path: string): number | null {
  if (value === null || value === undefined) return null;
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (!match) throw new PricingInputError(`${path}: expected YYYY-MM-DD, got ${JSON.stringify(value)}`, path);
  return Number(match[1]) * 10000 + Number(match[2]) * 100 + Number(match[3]);
}

function parseSeconds(value: number | null | undefined, path: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PricingInputError(`${path}: expected a number of seconds, got ${JSON.stringify(value)}`, path);
  return value;
}
