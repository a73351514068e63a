import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay, classifyReply, parseRetryAfter, pastHorizon } from './retryPolicy.ts';

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
