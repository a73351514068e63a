// A CDR's charging periods as pricing reads them: in time order, each with its end (the next
// period's start, the last one's the session end: mod_cdrs.asciidoc ChargingPeriod) and its
// dimensions parsed into exact decimals.
import { Dec, toDec } from './decimal.ts';
import { PricingInputError } from './errors.ts';
import { parseOcpiDateTime } from './localTime.ts';
import type { Measured } from './restrictions.ts';
import type { CdrInput, PricingWarning } from './types.ts';

const MS_PER_HOUR = new Dec(3_600_000);

export interface Period {
  /** Position in the CDR's `charging_periods`. */
  index: number;
  startMs: number;
  endMs: number;
  startText: string;
  tariffId: string | null;
  /** Volumes (kWh, h); null when the period does not carry the dimension. */
  energy: Dec | null;
  time: Dec | null;
  parking: Dec | null;
  reservation: Dec | null;
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
  const periods = cdr.charging_periods.map((cp, i) => readPeriod(cp, i));
  let ordered = true;
  for (let i = 1; i < periods.length; i++) if (periods[i]!.startMs < periods[i - 1]!.startMs) ordered = false;
  if (!ordered) {
    periods.sort((a, b) => a.startMs - b.startMs || a.index - b.index);
    warnings.push({ code: 'periods_reordered', message: 'charging_periods were not in time order; they were priced in time order' });
  }
  for (let i = 0; i < periods.length; i++) periods[i]!.endMs = i + 1 < periods.length ? periods[i + 1]!.startMs : endMs;

  // A CDR without any time dimension still lasted: its periods' lengths are charging TIME
  // (TIME is "time charging"; with no PARKING_TIME reported, none is known). A CDR that reports
  // time dimensions anywhere is taken as complete and nothing is derived.
  const timeDerived = periods.every((p) => p.time === null && p.parking === null && p.reservation === null);
  if (timeDerived) {
    for (const p of periods) {
      p.time = new Dec(Math.max(0, p.endMs - p.startMs)).dividedBy(MS_PER_HOUR);
      p.timeDerived = true;
    }
  }

  let hasReservation = false;
  let charged = false;
  for (const p of periods) {
    const reserved = p.reservation !== null && p.reservation.greaterThan(0);
    const used = nonZero(p.energy) || nonZero(p.time) || nonZero(p.parking);
    p.reservationOnly = reserved && !used;
    hasReservation ||= reserved;
    charged ||= used;
  }
  // Expired: a reservation that never became a session (no energy, charging or parking time),
  // unless the caller knows better.
  const expired = reservationExpired ?? (hasReservation && !charged);
  const reservation = expired && hasReservation ? 'expired' : hasReservation ? 'used' : 'none';
  const firstCharging = periods.find((p) => !p.reservationOnly);
  const chargingStartMs = hasReservation && firstCharging ? firstCharging.startMs : startMs;
  return { periods, chargingStartMs, reservation, timeDerived, warnings };
}

function nonZero(v: Dec | null): boolean {
  return v !== null && !v.isZero();
}

function readPeriod(cp: CdrInput['charging_periods'][number], i: number): Period {
  const path = `cdr.charging_periods[${i}]`;
  if (cp === null || typeof cp !== 'object') throw new PricingInputError(`${path}: expected a ChargingPeriod object`, path);
  const startMs = parseOcpiDateTime(cp.start_date_time, `${path}.start_date_time`);
  if (!Array.isArray(cp.dimensions) || cp.dimensions.length === 0) {
    throw new PricingInputError(`${path}.dimensions: at least one CdrDimension is required`, `${path}.dimensions`);
  }
  const p: Period = {
    index: i,
    startMs,
    endMs: startMs,
    startText: cp.start_date_time,
    tariffId: cp.tariff_id ?? null,
    energy: null,
    time: null,
    parking: null,
    reservation: null,
    timeDerived: false,
    current: { min: null, avg: null, max: null },
    power: { min: null, avg: null, max: null },
    reservationOnly: false,
  };
  cp.dimensions.forEach((d, j) => {
    const dPath = `${path}.dimensions[${j}]`;
    if (d === null || typeof d !== 'object' || typeof d.type !== 'string') throw new PricingInputError(`${dPath}.type: required`, `${dPath}.type`);
    const read = () => toDec(d.volume, `${dPath}.volume`);
    switch (d.type) {
      case 'ENERGY':
        p.energy = add(p.energy, read());
        break;
      case 'TIME':
        p.time = add(p.time, read());
        break;
      case 'PARKING_TIME':
        p.parking = add(p.parking, read());
        break;
      case 'RESERVATION_TIME':
        p.reservation = add(p.reservation, read());
        break;
      case 'CURRENT':
        p.current.avg = read();
        break;
      case 'MIN_CURRENT':
        p.current.min = read();
        break;
      case 'MAX_CURRENT':
        p.current.max = read();
        break;
      case 'POWER':
        p.power.avg = read();
        break;
      case 'MIN_POWER':
        p.power.min = read();
        break;
      case 'MAX_POWER':
        p.power.max = read();
        break;
      default:
        // ENERGY_IMPORT/EXPORT, STATE_OF_CHARGE and unknown types price nothing.
        break;
    }
  });
  return p;
}

function add(a: Dec | null, b: Dec): Dec {
  return a === null ? b : a.plus(b);
}
