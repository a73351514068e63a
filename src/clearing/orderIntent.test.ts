import { describe, expect, it } from 'vitest';
import { mayOrphanOrder } from './orderIntent.ts';

const now = new Date('2026-11-22T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);

describe('an order creation whose answer was lost', () => {
  it.each([
    ['never asked', null, false],
    ['asked a minute ago (PayPal replays it)', hoursAgo(1 / 60), false],
    ['asked 5h59 ago', hoursAgo(5 + 59 / 60), false],
    ['asked 6 hours ago (window over)', hoursAgo(6), true],
    ['asked 3 days ago', hoursAgo(72), true],
  ])('%s → may leave an orphan: %s', (_, requestedAt, expected) => {
    expect(mayOrphanOrder(requestedAt, now)).toBe(expected);
  });

  it('follows a window PayPal extended for the account', () => {
    expect(mayOrphanOrder(hoursAgo(24), now, 72 * 3600_000)).toBe(false);
  });
});
