// OCPI DateTime (types.asciidoc): RFC 3339 in UTC, `Z` optional, fractional seconds allowed,
// no offsets ("+00:00 is not the same as UTC").
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/;

export function isOcpiDateTime(value: string): boolean {
  const match = PATTERN.exec(value);
  if (!match || value.length > 25 + 6) return false;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d >= 1 && d <= daysInMonth;
}

/**
 * An OCPI DateTime with its UTC zone written out: a missing `Z` still means UTC, but `Date` and a
 * Postgres timestamptz would read a value without a zone in the host's or the session's time zone.
 * Anything else (a value with a zone, or no date-time) is returned as it is.
 */
export function withUtcZone(value: string): string {
  return /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
}
