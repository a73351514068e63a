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

/**
 * Epoch milliseconds of an OCPI DateTime (`2024-03-04T09:30:00Z`; seconds, a fraction and an
 * offset are optional). OCPI DateTimes are UTC; one written without a zone designator is read as
 * UTC (JavaScript alone would read it as the machine's local time). Fractions finer than a
 * millisecond are cut off. A date that does not exist (2024-02-30) is refused, where JavaScript
 * would roll it over.
 */
export function parseOcpiDateTime(value: unknown, path: string): number {
  const ms = typeof value === 'string' ? parseDateTime(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new PricingInputError(`${path}: expected an OCPI DateTime like 2024-03-04T09:30:00Z, got ${JSON.stringify(value)}`, path);
  }
  return ms;
}

/** Digits at v[i, i+n) as a number, or -1. */
function digitsAt(v: string, i: number, n: number): number {
  let out = 0;
  for (let k = i; k < i + n; k++) {
    const c = v.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    out = out * 10 + c;
  }
  return out;
}

/** parseOcpiDateTime without the error: NaN when `v` is not an OCPI DateTime. */
export function parseDateTime(v: string): number {
  const n = v.length;
  if (n < 16 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || (v[10] !== 'T' && v[10] !== 't') || v.charCodeAt(13) !== 58) return NaN;
  const y = digitsAt(v, 0, 4);
  const mo = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  const h = digitsAt(v, 11, 2);
  const mi = digitsAt(v, 14, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59) return NaN;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (v.charCodeAt(i) === 58) {
    sec = digitsAt(v, i + 1, 2);
    if (sec < 0 || sec > 59) return NaN;
    i += 3;
    if (v.charCodeAt(i) === 46) {
      i++;
      const from = i;
      while (i < n && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
      if (i === from) return NaN;
      ms = digitsAt(`${v.slice(from, Math.min(i, from + 3))}00`, 0, 3);
    }
  }
  let offsetMinutes = 0;
  if (i < n) {
    const c = v[i];
    if ((c === 'Z' || c === 'z') && i + 1 === n) {
      // UTC
    } else if (c === '+' || c === '-') {
      const oh = digitsAt(v, i + 1, 2);
      const colon = v.charCodeAt(i + 3) === 58 ? 1 : 0;
      const om = digitsAt(v, i + 3 + colon, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59 || i + 5 + colon !== n) return NaN;
      offsetMinutes = (c === '-' ? -1 : 1) * (oh * 60 + om);
    } else {
      return NaN;
    }
  }
  return daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms - offsetMinutes * MS_PER_MINUTE;
}

function daysInMonth(y: number, m: number): number {
  if (m !== 2) return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}

/** Howard Hinnant's days_from_civil: days since 1970-01-01. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
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
    const seconds = Math.floor(m.msOfDay / 1000);
    const abs = Math.abs(m.offsetMinutes);
    return (
      `${y < 1000 ? String(y).padStart(4, '0') : y}-${PAD2[Math.floor(m.dateKey / 100) % 100]}-${PAD2[m.dateKey % 100]}` +
      `T${PAD2[Math.floor(seconds / 3600)]}:${PAD2[Math.floor(seconds / 60) % 60]}:${PAD2[seconds % 60]}` +
      `${m.offsetMinutes < 0 ? '-' : '+'}${PAD2[Math.floor(abs / 60)]}:${PAD2[abs % 60]} ${DAYS_OF_WEEK[m.isoWeekday - 1]}`
    );
  }
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

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
