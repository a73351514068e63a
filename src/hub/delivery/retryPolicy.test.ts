import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay, beforeAttempt, classifyReply, parseRetryAfter, pastHorizon, retryDelay } from './retryPolicy.ts';

describe('classifyReply', () => {
  it.each([
    [{ httpStatus: 200, ocpiStatus: 1000 }, 'delivered'],
    [{ httpStatus: 201, ocpiStatus: 1000 }, 'delivered'],
    [{ httpStatus: 200, ocpiStatus: 2001 }, 'rejected'],
    [{ httpStatus: 404, ocpiStatus: 2003 }, 'rejected'],
    [{ httpStatus: 400, ocpiStatus: 2001 }, 'rejected'],
    // A 4xx without an envelope comes from a proxy in front of the receiver, not the receiver.
    [{ httpStatus: 400 }, 'retry'],
    [{ httpStatus: 404 }, 'retry'],
    [{ httpStatus: 405 }, 'retry'],
    [{ httpStatus: 410 }, 'retry'],
    [{ httpStatus: 404, ocpiStatus: 1000 }, 'retry'],
    [{ httpStatus: 404, ocpiStatus: 3001 }, 'retry'],
    [{ httpStatus: 200, ocpiStatus: 3000 }, 'retry'],
    [{ httpStatus: 500 }, 'retry'],
    [{ httpStatus: 503, ocpiStatus: 1000 }, 'retry'],
    [{ httpStatus: 401 }, 'retry'],
    [{ httpStatus: 200 }, 'retry'],
    [{ error: 'timed out' }, 'retry'],
  ])('%o → %s', (reply, kind) => {
    expect(classifyReply(reply).kind).toBe(kind);
  });

  it('names what went wrong for a 4xx without an envelope, so the dead letter past the horizon says it', () => {
    expect(classifyReply({ httpStatus: 404 })).toEqual({ kind: 'retry', reason: 'HTTP 404 without an OCPI envelope' });
  });

  it('honours Retry-After on 429, in seconds or as a date', () => {
    expect(classifyReply({ httpStatus: 429, retryAfter: '7' })).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 });
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within [cap/2, cap] and never exceeds the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempts, r) => {
        const delay = backoffDelay(attempts, { baseMs: 1000, maxMs: 3_600_000 }, () => r);
        const cap = Math.min(3_600_000, 1000 * 2 ** (attempts - 1));
        return delay >= cap / 2 - 1 && delay <= cap + 1;
      }),
    );
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 60_000 }, () => 1)).toBe(1000);
    expect(backoffDelay(4, { baseMs: 1000, maxMs: 60_000 }, () => 1)).toBe(8000);
  });
});

describe('pastHorizon', () => {
  it('is true only once the horizon has passed since acceptance', () => {
    expect(pastHorizon('2026-01-01T00:00:00Z', 7 * 86_400_000, Date.parse('2026-01-07T23:59:59Z'))).toBe(false);
    expect(pastHorizon('2026-01-01T00:00:00Z', 7 * 86_400_000, Date.parse('2026-01-08T00:00:01Z'))).toBe(true);
  });
});

describe('beforeAttempt', () => {
  const now = Date.parse('2026-01-08T12:00:00Z');
  const horizonMs = 7 * 24 * 3_600_000;
  const within = '2026-01-02T12:00:00Z';
  const past = '2026-01-01T11:59:59Z';
  const connected = { status: 'CONNECTED', platformState: 'REGISTERED' };
  const suspended = { status: 'SUSPENDED', platformState: 'REGISTERED' };
  const unregistered = { status: 'SUSPENDED', platformState: 'UNREGISTERED' };

  it.each([
    ['a connected receiver within the horizon', connected, within, { kind: 'attempt' }],
    ['a connected receiver past the horizon: not sent late', connected, past, { kind: 'dead_letter', reason: 'past the delivery horizon before an attempt' }],
    ['a suspended receiver within the horizon waits', suspended, within, { kind: 'wait' }],
    ['a suspended receiver past the horizon', suspended, past, { kind: 'dead_letter', reason: 'receiver suspended past the delivery horizon' }],
    ['an unregistered receiver within the horizon waits', unregistered, within, { kind: 'wait' }],
    ['an unregistered receiver past the horizon', unregistered, past, { kind: 'dead_letter', reason: 'receiver unregistered past the delivery horizon' }],
    ['an unknown receiver within the horizon is attempted (and fails as a retry)', undefined, within, { kind: 'attempt' }],
  ])('%s', (_name, receiver, acceptedAt, expected) => {
    expect(beforeAttempt(receiver, acceptedAt, horizonMs, now)).toEqual(expected);
  });
});

describe('retryDelay', () => {
  const horizonMs = 7 * 24 * 3_600_000;
  const acceptedAt = '2026-01-01T00:00:00Z';
  const at = (iso: string) => Date.parse(iso);

  it('is the backoff while the horizon is far', () => {
    expect(retryDelay(acceptedAt, horizonMs, { backoffMs: 3_600_000 }, at('2026-01-03T00:00:00Z'))).toBe(3_600_000);
  });
  it('cuts the backoff to the time left, so the last attempt comes at the horizon', () => {
    expect(retryDelay(acceptedAt, horizonMs, { backoffMs: 3_600_000 }, at('2026-01-07T23:30:00Z'))).toBe(30 * 60_000);
  });
  it('leaves no attempt once less than the minimum wait is left, or the horizon passed', () => {
    expect(retryDelay(acceptedAt, horizonMs, { backoffMs: 3_600_000 }, at('2026-01-07T23:59:59.990Z'))).toBeUndefined();
    expect(retryDelay(acceptedAt, horizonMs, { backoffMs: 1000 }, at('2026-01-08T00:00:01Z'))).toBeUndefined();
  });
  it('respects a Retry-After within the horizon, and gives up when it points past it', () => {
    expect(retryDelay(acceptedAt, horizonMs, { retryAfterMs: 120_000, backoffMs: 1000 }, at('2026-01-07T23:00:00Z'))).toBe(120_000);
    expect(retryDelay(acceptedAt, horizonMs, { retryAfterMs: 7_200_000, backoffMs: 1000 }, at('2026-01-07T23:00:00Z'))).toBeUndefined();
  });
  it('never retries sooner than 50 ms', () => {
    expect(retryDelay(acceptedAt, horizonMs, { backoffMs: 0 }, at('2026-01-03T00:00:00Z'))).toBe(50);
  });
});
