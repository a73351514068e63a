// A CDR's charging periods as pricing reads them: in time order, each with its end (the next
// period's start, the last one's the session end: mod_cdrs.asciidoc ChargingPeriod) and its
// dimensions parsed into exact decimals.
import { PricingInputError } from './errors.ts';
import { divideByInteger, exactOf, fromInteger, inputText, isZero, plus, sign, tryExact, type Exact } from './exact.ts';
import { parseDateTime } from './localTime.ts';
import type { Measured } from './restrictions.ts';
import type { CdrInput, PricingWarning } from './types.ts';


export interface Period {
  /** Position in the CDR's `charging_periods`. */
  index: number;
  startMs: number;
  endMs: number;
  /** The period's start and end as the CDR writes them (the end: the next period's start, or the session's end). */
  startText: string;
  endText: string;
  tariffId: string | null;
  /** Volumes (kWh, h); null when the period does not carry the dimension. */
  energy: Exact | null;
  time: Exact | null;
  parking: Exact | null;
  reservation: Exact | null;
  /** The volumes' exact text when the CDR gives the dimension once (else null: computed when printed). */
  energyText: string | null;
  timeText: string | null;
  parkingText: string | null;
  reservationText: string | null;
  /** TIME was derived from the period's length (the CDR carries no time dimension at all). */
  timeDerived: boolean;
  current: Measured;
  power: Measured;
  /** Only reservation time, nothing charged or parked: the session proper has not begun. */
  reservationOnly: boolean;
}

export interface SessionPeriods {
  periods: Period[];
  /** When the session proper (after any reservation) began: duration restrictions count from here. */
  chargingStartMs: number;
  reservation: 'none' | 'used' | 'expired';
  timeDerived: boolean;
  warnings: PricingWarning[];
}

export function readPeriods(cdr: CdrInput, startMs: number, endMs: number, reservationExpired?: boolean | null): SessionPeriods {
  if (!Array.isArray(cdr.charging_periods) || cdr.charging_periods.length === 0) {
    throw new PricingInputError('cdr.charging_periods: at least one ChargingPeriod is required', 'cdr.charging_periods');
  }
  const warnings: PricingWarning[] = [];
  const periods: Period[] = [];
  for (let i = 0; i < cdr.charging_periods.length; i++) periods.push(readPeriod(cdr.charging_periods[i]!, i));
  let ordered = true;
  for (let i = 1; i < periods.length; i++) if (periods[i]!.startMs < periods[i - 1]!.startMs) ordered = false;
  if (!ordered) {
    periods.sort((a, b) => a.startMs - b.startMs || a.index - b.index);
    warnings.push({ code: 'periods_reordered', message: 'charging_periods were not in time order; they were priced in time order' });
  }
  for (let i = 0; i < periods.length; i++) {
    const p = periods[i]!;
    const next = periods[i + 1];
    p.endMs = next ? next.startMs : endMs;
    p.endText = next ? next.startText : cdr.end_date_time;
  }

  // A CDR without any time dimension still lasted: its periods' lengths are charging TIME
  // (TIME is "time charging"; with no PARKING_TIME reported, none is known). A CDR that reports
  // time dimensions anywhere is taken as complete and nothing is derived.
  let timeDerived = true;
  for (const p of periods) if (p.time !== null || p.parking !== null || p.reservation !== null) timeDerived = false;
  if (timeDerived) {
    for (const p of periods) {
      p.time = divideByInteger(fromInteger(Math.max(0, p.endMs - p.startMs)), 3_600_000n);
      p.timeDerived = true;
    }
  }

  let hasReservation = false;
  let charged = false;
  for (const p of periods) {
    const reserved = p.reservation !== null && sign(p.reservation) > 0;
    const used = nonZero(p.energy) || nonZero(p.time) || nonZero(p.parking);
    p.reservationOnly = reserved && !used;
    hasReservation ||= reserved;
    charged ||= used;
  }
  // Expired: a reservation that never became a session (no energy, charging or parking time),
  // unless the caller knows better.
  const expired = reservationExpired ?? (hasReservation && !charged);
  const reservation = expired && hasReservation ? 'expired' : hasReservation ? 'used' : 'none';
  let chargingStartMs = startMs;
  if (hasReservation) {
    for (const p of periods) {
      if (!p.reservationOnly) {
        chargingStartMs = p.startMs;
        break;
      }
    }
  }
  return { periods, chargingStartMs, reservation, timeDerived, warnings };
}

function nonZero(v: Exact | null): boolean {
  return v !== null && !isZero(v);
}

/**
 * A field's path for a message. Spelled out only when something is wrong: building one for every
 * field read costs more than reading the period.
 */
function periodPath(i: number, rest = ''): string {
  return `cdr.charging_periods[${i}]${rest}`;
}

function readPeriod(cp: CdrInput['charging_periods'][number], i: number): Period {
  if (cp === null || typeof cp !== 'object') throw new PricingInputError(`${periodPath(i)}: expected a ChargingPeriod object`, periodPath(i));
  const startMs = typeof cp.start_date_time === 'string' ? parseDateTime(cp.start_date_time) : NaN;
  if (Number.isNaN(startMs)) {
    throw new PricingInputError(`${periodPath(i, '.start_date_time')}: expected an OCPI DateTime like 2024-03-04T09:30:00Z, got ${JSON.stringify(cp.start_date_time)}`, periodPath(i, '.start_date_time'));
  }
  if (!Array.isArray(cp.dimensions) || cp.dimensions.length === 0) {
    throw new PricingInputError(`${periodPath(i, '.dimensions')}: at least one CdrDimension is required`, periodPath(i, '.dimensions'));
  }
  const p: Period = {
    index: i,
    startMs,
    endMs: startMs,
    startText: cp.start_date_time,
    endText: cp.start_date_time,
    tariffId: cp.tariff_id ?? null,
    energy: null,
    time: null,
    parking: null,
    reservation: null,
    energyText: null,
    timeText: null,
    parkingText: null,
    reservationText: null,
    timeDerived: false,
    current: { min: null, avg: null, max: null },
    power: { min: null, avg: null, max: null },
    reservationOnly: false,
  };
  const dims = cp.dimensions;
  for (let j = 0; j < dims.length; j++) {
    const d = dims[j]!;
    if (d === null || typeof d !== 'object' || typeof d.type !== 'string') {
      throw new PricingInputError(`${periodPath(i, `.dimensions[${j}].type`)}: required`, periodPath(i, `.dimensions[${j}].type`));
    }
    switch (d.type) {
      case 'ENERGY': {
        const v = tryExact(d.volume) ?? exactOf(d.volume, periodPath(i, `.dimensions[${j}].volume`));
        p.energyText = p.energy === null ? inputText(d.volume, v) : null;
        p.energy = add(p.energy, v);
        break;
      }
      case 'TIME': {
        const v = tryExact(d.volume) ?? exactOf(d.volume, periodPath(i, `.dimensions[${j}].volume`));
        p.timeText = p.time === null ? inputText(d.volume, v) : null;
        p.time = add(p.time, v);
        break;
      }
      case 'PARKING_TIME': {
        const v = tryExact(d.volume) ?? exactOf(d.volume, periodPath(i, `.dimensions[${j}].volume`));
        p.parkingText = p.parking === null ? inputText(d.volume, v) : null;
        p.parking = add(p.parking, v);
        break;
      }
      case 'RESERVATION_TIME': {
        const v = tryExact(d.volume) ?? exactOf(d.volume, periodPath(i, `.dimensions[${j}].volume`));
        p.reservationText = p.reservation === null ? inputText(d.volume, v) : null;
        p.reservation = add(p.reservation, v);
        break;
      }
      case 'CURRENT':
        p.current.avg = measurement(d.volume, i, j);
        break;
      case 'MIN_CURRENT':
        p.current.min = measurement(d.volume, i, j);
        break;
      case 'MAX_CURRENT':
        p.current.max = measurement(d.volume, i, j);
        break;
      case 'POWER':
        p.power.avg = measurement(d.volume, i, j);
        break;
      case 'MIN_POWER':
        p.power.min = measurement(d.volume, i, j);
        break;
      case 'MAX_POWER':
        p.power.max = measurement(d.volume, i, j);
        break;
      default:
        // ENERGY_IMPORT/EXPORT, STATE_OF_CHARGE and unknown types price nothing.
        break;
    }
  }
  return p;
}

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A current or power measurement: compared with restriction bounds only, so a number (see restrictions.ts). */
function measurement(value: unknown, i: number, j: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return Number(value);
  const where = periodPath(i, `.dimensions[${j}].volume`);
  throw new PricingInputError(`${where}: expected a decimal number, got ${JSON.stringify(value)}`, where);
}

function add(a: Exact | null, b: Exact): Exact {
  return a === null ? b : plus(a, b);
}
