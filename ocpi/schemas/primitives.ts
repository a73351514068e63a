// The basic types of OCPI 2.2.1 (types.asciidoc) and the cardinality symbols of the field tables
// (terminology.asciidoc), as zod building blocks. Every rule here carries a plain-words message,
// because partners read these messages back in `status_message`.
import { z } from 'zod';

const CONTROL_CHARACTERS = /\p{Cc}/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * string(n): case-sensitive printable UTF-8, at most n characters.
 * Length is counted in UTF-16 units (zod's count); it differs from code points only for
 * characters outside the BMP, which do not occur in OCPI fields in practice.
 */
export function ocpiString(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), {
      message: 'must be printable text without control characters (CR, LF, tab, ...)',
    });
}

/** CiString(n): case-insensitive printable ASCII (space included), at most n characters. */
export function ciString(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => PRINTABLE_ASCII.test(s), { message: 'must contain only printable ASCII characters' });
}

/** URL: "a string(255) type following the w3.org spec"; only the length is checked, as the spec does. */
export function url() {
  return ocpiString(255);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/;
export const DATE_TIME_MESSAGE = 'must be an RFC 3339 UTC DateTime without offset, e.g. 2015-06-29T20:39:09Z';

/**
 * DateTime: UTC only; a missing `Z` still means UTC, an offset (even +00:00) is refused.
 * The spec also calls it string(25); longer fractions are accepted because partners send
 * microseconds and the value is still unambiguous.
 */
export function isOcpiDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  return isCalendarDate(year, month, day) && hour < 24 && minute < 60 && second < 60;
}

export function dateTime() {
  return z.string().refine(isOcpiDateTime, { message: DATE_TIME_MESSAGE });
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Computed rather than asked of Date, which maps years 0–99 to 1900–1999.
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** A string(n) that must also match a spec regex; `example` shows the expected form. */
export function patterned(max: number, pattern: RegExp, example: string) {
  return ocpiString(max).refine((s) => pattern.test(s), { message: `must look like ${example} (${pattern.source})` });
}

/** Local time of day, "Regex: ([0-1][0-9]|2[0-3]):[0-5][0-9]". */
export const TIME_OF_DAY = /^([0-1][0-9]|2[0-3]):[0-5][0-9]$/;
export function timeOfDay() {
  return patterned(5, TIME_OF_DAY, '18:15');
}

const DATE = /^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
/** Local date, "Regex: ([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", and a real day. */
export function localDate() {
  return ocpiString(10).refine(
    (s) => {
      const match = DATE.exec(s);
      return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
    },
    { message: 'must be a calendar date YYYY-MM-DD, e.g. 2015-12-24' },
  );
}

/** number: any finite JSON number (zod refuses NaN and Infinity). */
export function number() {
  return z.number();
}

/** int: a JSON integer. */
export function int() {
  return z.int();
}

/** int(n): an integer of at most n digits. */
export function intDigits(digits: number) {
  const max = 10 ** digits - 1;
  return z.int().min(-max).max(max);
}

/** Cardinality `?`: may be null or omitted. */
export function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}

/** Cardinality `*`: a list that may be null, empty or omitted. */
export function list<T extends z.ZodType>(item: T) {
  return z.array(item).nullish();
}

/** Cardinality `+`: a required, non-empty list. */
export function nonEmptyList<T extends z.ZodType>(item: T) {
  return z.array(item).min(1);
}
