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

export function parseOcpiDateTime(value: string): Date {
  return new Date(value.endsWith('Z') ? value : `${value}Z`);
}
