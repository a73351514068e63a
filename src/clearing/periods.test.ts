import { describe, expect, it } from 'vitest';
import { nextPeriod, periodOf, periodRange } from './periods.ts';

describe('periods', () => {
  it.each([
    ['2026-11-30T23:59:59Z', 'MONTHLY', '2026-11'],
    ['2026-12-01T00:00:00Z', 'MONTHLY', '2026-12'],
    ['2026-11-21T10:00:00Z', 'WEEKLY', '2026-W47'],
    ['2027-01-01T00:00:00Z', 'WEEKLY', '2026-W53'],
    ['2024-12-30T00:00:00Z', 'WEEKLY', '2025-W01'],
  ] as const)('%s falls in %s period %s', (at, kind, label) => expect(periodOf(new Date(at), kind)).toBe(label));

  it.each([
    ['2026-11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12'],
    ['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2027-01'],
    ['2026-W47', '2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '2026-W48'],
    ['2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z', '2027-W01'],
  ])('%s runs from %s to %s, then %s', (label, start, end, next) => {
    const range = periodRange(label);
    expect(range.start.toISOString()).toBe(start);
    expect(range.end.toISOString()).toBe(end);
    expect(nextPeriod(label)).toBe(next);
  });

  it.each(['2026-13', '2025-W53', 'Nov 2026'])('refuses %s', (label) => expect(() => periodRange(label)).toThrow(RangeError));
});
