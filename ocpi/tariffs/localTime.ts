// Instants and the local wall clock in which tariff restrictions are read.
//
// DST, decided here once (ocpi/ocpi#534 leaves it open):
// - Each instant is read on the wall clock of the zone at that instant, and restrictions compare
//   against that reading. Nothing else is assumed, so the result is a pure function of the instant.
// - Spring forward (gap, e.g. Europe/Amsterdam 2024-03-31 02:00 → 03:00): the local times inside the
//   gap never occur. A boundary inside the gap (say start_time 02:30) takes effect at the first
//   instant after the gap (03:00 CEST = 01:00Z), the first instant whose reading is ≥ 02:30.
// - Fall back (overlap, e.g. 2024-10-27 03:00 CEST → 02:00 CET): 02:00–02:59 is read twice, so a
//   boundary inside that hour is crossed twice: an element valid "until 02:30" ends at 02:30 CEST
//   (00:30Z), is valid again from 02:00 CET (01:00Z) and ends again at 02:30 CET (01:30Z).
// - Durations (min_duration/max_duration) are elapsed real time and are not affected by DST.
import { IANAZone } from 'luxon';
import { PricingInputError } from './errors.ts';
import type { DayOfWeek } from './types.ts';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

export const DAYS_OF_WEEK: readonly DayOfWeek[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

const OCPI_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch milliseconds of an OCPI DateTime. OCPI DateTimes are UTC; one written without a zone
 * designator is read as UTC (JavaScript alone would read it as the machine's local time).
 */
export function parseOcpiDateTime(value: unknown, path: string): number {
  if (typeof value !== 'string' || !OCPI_DATE_TIME.test(value)) {
    throw new PricingInputError(`${path}: expected an OCPI DateTime like 2024-03-04T09:30:00Z, got ${JSON.stringify(value)}`, path);
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  if (Number.isNaN(ms) || !isCalendarDate(value)) throw new PricingInputError(`${path}: not a valid date/time: ${value}`, path);
  return ms;
}

/** JavaScript rolls 2024-02-30 over to March 1st; OCPI does not. */
function isCalendarDate(value: string): boolean {
  const y = Number(value.slice(0, 4));
  const m = Number(value.slice(5, 7));
  const d = Number(value.slice(8, 10));
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Calendar reading of an instant on a zone's wall clock. */
export interface LocalMoment {
  /** yyyymmdd as an integer, e.g. 20240304: compares like the date. */
  dateKey: number;
  /** Minutes since local midnight, 0..1439 (seconds dropped: restrictions have minute resolution). */
  minuteOfDay: number;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  /** The zone's offset from UTC at that instant, in minutes. */
  offsetMinutes: number;
  /** Milliseconds since local midnight (for formatting). */
  msOfDay: number;
}

/**
 * An IANA time zone with a memo of its UTC offsets per UTC hour. luxon asks Intl for the offset,
 * which costs microseconds; pricing reads the same hours again and again, so one lookup per hour
 * is kept. An hour in which the offset changes (a DST transition) is never memoised: its instants
 * are looked up one by one, so the memo cannot blur a transition.
 */
export class TimeZone {
  readonly name: string;
  private readonly zone: IANAZone;
  private readonly offsetByHour = new Map<number, number>();

  constructor(name: string, zone: IANAZone) {
    this.name = name;
    this.zone = zone;
  }

  offsetMinutes(epochMs: number): number {
    const hour = Math.floor(epochMs / MS_PER_HOUR);
    const known = this.offsetByHour.get(hour);
    if (known !== undefined) return known;
    const atStart = this.zone.offset(hour * MS_PER_HOUR);
    const atEnd = this.zone.offset(hour * MS_PER_HOUR + MS_PER_HOUR - 1);
    if (atStart !== atEnd) return this.zone.offset(epochMs);
    if (this.offsetByHour.size > 200_000) this.offsetByHour.clear();
    this.offsetByHour.set(hour, atStart);
    return atStart;
  }

  local(epochMs: number): LocalMoment {
    const offsetMinutes = this.offsetMinutes(epochMs);
    const localMs = epochMs + offsetMinutes * MS_PER_MINUTE;
    const days = Math.floor(localMs / MS_PER_DAY);
    const msOfDay = localMs - days * MS_PER_DAY;
    return {
      dateKey: dateKeyFromDays(days),
      minuteOfDay: Math.floor(msOfDay / MS_PER_MINUTE),
      isoWeekday: ((((days % 7) + 7) % 7) + 3) % 7 + 1, // 1970-01-01 was a Thursday (4)
      offsetMinutes,
      msOfDay,
    };
  }

  /** `2024-03-04T09:30:00+01:00 MONDAY`: the instant as the restrictions read it. */
  describe(epochMs: number): string {
    return this.describeLocal(this.local(epochMs));
  }

  describeLocal(m: LocalMoment): string {
    const y = Math.floor(m.dateKey / 10000);
    const mo = Math.floor(m.dateKey / 100) % 100;
    const d = m.dateKey % 100;
    const seconds = Math.floor(m.msOfDay / 1000);
    const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
    const sign = m.offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(m.offsetMinutes);
    const offset = `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    return `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}T${time}${offset} ${DAYS_OF_WEEK[m.isoWeekday - 1]}`;
  }
}

const zones = new Map<string, TimeZone>();

/** The named IANA zone (cached); PricingInputError for a name the runtime does not know. */
export function timeZone(name: string): TimeZone {
  const cached = zones.get(name);
  if (cached) return cached;
  if (typeof name !== 'string' || name.trim() === '' || !IANAZone.isValidZone(name)) {
    throw new PricingInputError(`unknown time zone ${JSON.stringify(name)}: expected an IANA name like Europe/Amsterdam`, 'time_zone');
  }
  const zone = new TimeZone(name, IANAZone.create(name));
  zones.set(name, zone);
  return zone;
}

/** Howard Hinnant's civil_from_days: days since 1970-01-01 → yyyymmdd. */
function dateKeyFromDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 10000 + m * 100 + d;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
