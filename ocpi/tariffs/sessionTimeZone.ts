// The time zone restrictions are read in ("local time … the time zone is defined in the time_zone
// field of the Location"). A CDR's CdrLocation has no time_zone in OCPI 2.2.1 (ocpi/ocpi#517), so:
// 1. the zone the caller gives (`input`: e.g. the Location's time_zone from the hub's store, or
//    --timezone);
// 2. else a `time_zone` the CDR carries, at top level or in cdr_location (`cdr`; an extension);
// 3. else UTC, and the result says `utc_fallback` (and warns when the tariff reads local time).
import { PricingInputError } from './errors.ts';
import { timeZone, type TimeZone } from './localTime.ts';
import type { CdrInput, TimeZoneSource } from './types.ts';

export function resolveSessionTimeZone(explicit: string | null | undefined, cdr: CdrInput): { zone: TimeZone; source: TimeZoneSource } {
  if (explicit !== null && explicit !== undefined) {
    if (typeof explicit !== 'string' || explicit.trim() === '') throw new PricingInputError('time zone: expected an IANA name like Europe/Amsterdam', 'time_zone');
    return { zone: timeZone(explicit.trim()), source: 'input' };
  }
  const fromCdr = cdr.time_zone ?? cdr.cdr_location?.time_zone;
  if (fromCdr !== null && fromCdr !== undefined) return { zone: timeZone(fromCdr), source: 'cdr' };
  return { zone: timeZone('UTC'), source: 'utc_fallback' };
}
