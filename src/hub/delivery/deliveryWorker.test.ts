import { describe, expect, it } from 'vitest';
import { keepsLanes } from './deliveryWorker.ts';

describe('keepsLanes', () => {
  const now = Date.parse('2026-03-01T00:00:00Z');
  const day = 86_400_000;
  const horizonMs = 7 * day;
  const receiving = new Set(['cdrs:RECEIVER', 'locations:SENDER']);
  const party = (platformState: string, daysAgo: number, interfaces: Set<string> = receiving) => ({ platformState, platformUpdatedAt: new Date(now - daysAgo * day), interfaces });

  it.each([
    ['a registered platform', party('REGISTERED', 400), true],
    ['a platform without a receiver interface', party('REGISTERED', 0, new Set(['locations:SENDER'])), false],
    ['an invited platform (nothing can wait for it)', party('INVITED', 0), false],
    // Messages for it were accepted before it unregistered: they reach the horizon within a week and
    // stay in the stream a week longer (ocpiStreamMaxAgeDays); the lanes stay open as long.
    ['a platform unregistered a day ago', party('UNREGISTERED', 1), true],
    ['a platform unregistered 13 days ago', party('UNREGISTERED', 13), true],
    ['a platform unregistered 15 days ago: nothing can be left for it', party('UNREGISTERED', 15), false],
  ])('%s: %s', (_name, p, expected) => {
    expect(keepsLanes(p, horizonMs, now)).toBe(expected);
  });
});
