import { minorExponent } from '../clearing/money.ts';

// Times in the portal are UTC and say so: partners in different time zones read the same instant,
// and nobody takes 14:03 for their own local time.
const utc = (at: Date | string, length: number): string => {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at ?? '') : `${date.toISOString().slice(0, length).replace('T', ' ')} UTC`;
};

/** "2026-11-21 14:03 UTC" */
export const utcMinute = (at: Date | string) => utc(at, 16);

/** "2026-11-21 14:03:27 UTC", for the moments a CDR's duration is read from. */
export const utcSecond = (at: Date | string) => utc(at, 19);

/**
 * A statement figure (kept to 4 decimals, the clearing scale) as the currency writes it: to its
 * minor unit (JPY 3630, EUR 72.60, KWD 12.106), with further decimals only where they are not
 * zero (a residual carried forward, EUR 0.004), so nothing is rounded away.
 */
export function statementAmount(value: string, currency: string): string {
  const match = /^(-?\d+)(?:\.(\d*))?$/.exec(value);
  if (!match) return value;
  const decimals = (match[2] ?? '').replace(/0+$/, '').padEnd(minorExponent(currency), '0');
  return decimals ? `${match[1]}.${decimals}` : match[1];
}
