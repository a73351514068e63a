import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { PricingInputError } from './errors.ts';
import { parseOcpiDateTime, timeZone } from './localTime.ts';

describe('parseOcpiDateTime', () => {
  it.each([
    ['2024-03-04T09:30:00Z', Date.UTC(2024, 2, 4, 9, 30)],
    ['2024-03-04T09:30:00', Date.UTC(2024, 2, 4, 9, 30)], // no designator: UTC, not the machine's zone
    ['2024-03-04T09:30:00.250Z', Date.UTC(2024, 2, 4, 9, 30, 0, 250)],
    ['2024-03-04T10:30:00+01:00', Date.UTC(2024, 2, 4, 9, 30)],
    ['2024-03-04T09:30Z', Date.UTC(2024, 2, 4, 9, 30)],
  ])('%s', (text, ms) => {
    expect(parseOcpiDateTime(text, 'x')).toBe(ms);
  });

  it('agrees with Date.parse on any instant, in any notation OCPI allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom('Z', '', '+01:00', '-05:30', '+0200'),
        fc.boolean(),
        (ms, zone, fraction) => {
          const iso = new Date(ms).toISOString(); // 2024-03-04T09:30:00.123Z
          const local = fraction ? iso.slice(0, 23) : iso.slice(0, 19);
          const text = `${local}${zone}`;
          const expected = Date.parse(zone === '' ? `${local}Z` : zone === '+0200' ? `${local}+02:00` : text);
          expect(parseOcpiDateTime(text, 'x')).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each(['2024-03-04', 'yesterday', '2024-02-30T10:00:00Z', '2023-02-29T10:00:00Z', '2024-03-04T25:00:00Z', '2024-03-04T09:30:00Zulu', '2024-03-04T09:30:00+1', 20240304, null])('refuses %j', (value) => {
    expect(() => parseOcpiDateTime(value, 'cdr.start_date_time')).toThrow(PricingInputError);
  });
});

describe('TimeZone.local', () => {
  const ams = timeZone('Europe/Amsterdam');
  it.each([
    ['winter', '2024-03-04T08:30:00Z', '2024-03-04T09:30:00+01:00 MONDAY'],
    ['local date ahead of UTC', '2024-03-03T23:30:00Z', '2024-03-04T00:30:00+01:00 MONDAY'],
    ['last instant before spring-forward', '2024-03-31T00:59:59Z', '2024-03-31T01:59:59+01:00 SUNDAY'],
    ['spring-forward: 02:00 never happens', '2024-03-31T01:00:00Z', '2024-03-31T03:00:00+02:00 SUNDAY'],
    ['fall-back: first 02:30 (CEST)', '2024-10-27T00:30:00Z', '2024-10-27T02:30:00+02:00 SUNDAY'],
    ['fall-back: 02:00 again (CET)', '2024-10-27T01:00:00Z', '2024-10-27T02:00:00+01:00 SUNDAY'],
    ['fall-back: second 02:30 (CET)', '2024-10-27T01:30:00Z', '2024-10-27T02:30:00+01:00 SUNDAY'],
  ])('%s', (_name, utc, expected) => {
    expect(ams.describe(Date.parse(utc))).toBe(expected);
  });

  it('reads a DST transition hour correctly whatever was read before it (the offset memo)', () => {
    const zone = timeZone('Europe/Amsterdam');
    const instants = ['2024-10-27T01:00:00Z', '2024-10-27T00:59:59Z', '2024-10-27T01:00:00Z', '2024-10-27T00:00:00Z'].map(Date.parse);
    expect(instants.map((ms) => zone.local(ms).offsetMinutes)).toEqual([60, 120, 60, 120]);
  });

  it('agrees with luxon on any instant in zones with DST, half-hour and 45-minute offsets', () => {
    const zones = ['Europe/Amsterdam', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'UTC'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), (name, ms) => {
        const ours = timeZone(name).local(ms);
        const theirs = DateTime.fromMillis(ms, { zone: name });
        expect(ours.dateKey).toBe(theirs.year * 10000 + theirs.month * 100 + theirs.day);
        expect(ours.minuteOfDay).toBe(theirs.hour * 60 + theirs.minute);
        expect(ours.isoWeekday).toBe(theirs.weekday);
        expect(ours.offsetMinutes).toBe(theirs.offset);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses an unknown zone', () => {
    expect(() => timeZone('Mars/Olympus_Mons')).toThrow(/unknown time zone "Mars\/Olympus_Mons"/);
  });
});
