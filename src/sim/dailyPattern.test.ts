import { describe, expect, it } from 'vitest';
import { dailyRate } from './dailyPattern.ts';

describe('dailyRate', () => {
  it('averages 1 over a day, with an evening peak above the morning one and quiet nights', () => {
    const samples = Array.from({ length: 24 * 60 }, (_, m) => dailyRate(m / 60));
    expect(samples.reduce((a, b) => a + b, 0) / samples.length).toBeCloseTo(1, 1);
    expect(dailyRate(18)).toBeGreaterThan(dailyRate(8));
    expect(dailyRate(8)).toBeGreaterThan(3 * dailyRate(3));
    expect(dailyRate(24 + 18)).toBe(dailyRate(18));
  });
});
