import { describe, expect, it } from 'vitest';
import { ocpiStreamMaxAgeDays } from './nats.ts';

describe('ocpiStreamMaxAgeDays', () => {
  it.each([
    // The default horizon of a week: the stream keeps two.
    [168, 14],
    [24, 8],
    [25, 9],
    [0.0006, 8],
  ])('a %s hour horizon keeps messages %s days', (hours, days) => {
    expect(ocpiStreamMaxAgeDays(hours)).toBe(days);
  });

  it('keeps every message at least a week past the horizon', () => {
    for (const hours of [0.001, 1, 23.9, 24, 100, 168, 1000]) expect(ocpiStreamMaxAgeDays(hours) * 24 - hours).toBeGreaterThanOrEqual(7 * 24);
  });
});
