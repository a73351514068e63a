import { describe, expect, it } from 'vitest';
import { nextStep } from './callbackRelay.ts';
import { callbackExpiry } from './callbacks.ts';

describe('nextStep (what becomes of a relay after an attempt)', () => {
  const receivedAt = new Date('2026-11-26T10:00:00Z');
  const at = (seconds: number) => new Date(receivedAt.getTime() + seconds * 1000);
  const options = (now: Date) => ({ horizonMs: 3_600_000, backoff: { baseMs: 1000, maxMs: 600_000 }, now, random: () => 1 });

  it.each([
    ['taken by the requester', { kind: 'delivered' } as const, 1, 5, { state: 'relayed' }],
    ['refused by the requester (its 2xxx): final', { kind: 'rejected', reason: 'OCPI 2001' } as const, 1, 5, { state: 'refused', reason: 'OCPI 2001' }],
    ['a first failure waits the base delay', { kind: 'retry', reason: 'HTTP 500' } as const, 1, 5, { state: 'pending', reason: 'HTTP 500', nextAttemptAt: at(6) }],
    ['the fourth failure waits 2^3 × base', { kind: 'retry', reason: 'HTTP 500' } as const, 4, 100, { state: 'pending', reason: 'HTTP 500', nextAttemptAt: at(108) }],
    ["a requester's Retry-After wins over the backoff", { kind: 'retry', reason: 'HTTP 429', retryAfterMs: 30_000 } as const, 1, 5, { state: 'pending', reason: 'HTTP 429', nextAttemptAt: at(35) }],
    ['the last retry is made at the horizon, not after it', { kind: 'retry', reason: 'unreachable' } as const, 12, 3500, { state: 'pending', reason: 'unreachable', nextAttemptAt: at(3600) }],
    ['a failure at the horizon ends the relay', { kind: 'retry', reason: 'unreachable' } as const, 13, 3600, { state: 'expired', reason: 'unreachable' }],
  ])('%s', (_name, verdict, attempts, nowS, expected) => {
    expect(nextStep(verdict, { attempts, receivedAt }, options(at(nowS)))).toEqual(expected);
  });
});

describe('callbackExpiry (how long a hub callback URL takes results)', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  it.each([
    ['the TTL after now', undefined, '2026-11-28T10:00:00.000Z'],
    ["a reservation's expiry_date plus the TTL", new Date('2026-11-27T10:00:00Z'), '2026-11-29T10:00:00.000Z'],
    ['an expiry_date already past counts from now', new Date('2026-11-20T10:00:00Z'), '2026-11-28T10:00:00.000Z'],
    ['an unreadable date counts from now', new Date('not a date'), '2026-11-28T10:00:00.000Z'],
  ])('%s', (_name, resultsUntil, expected) => {
    expect(callbackExpiry(48, resultsUntil, now).toISOString()).toBe(expected);
  });
});
