import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextHealth, OFFLINE_AFTER_FAILURES, replayHealth, type HealthEvent, type HealthState } from './healthRules.ts';

const connected: HealthState = { status: 'CONNECTED', failures: 0 };
const offline: HealthState = { status: 'OFFLINE', failures: 0 };
const fail: HealthEvent = { kind: 'delivery_failed', httpStatus: 500 };
const throttled: HealthEvent = { kind: 'delivery_failed', httpStatus: 429 };
const statuses = (states: HealthState[]) => states.map((s) => s.status);

describe('nextHealth', () => {
  it.each<[string, HealthState, HealthEvent, HealthState]>([
    ['a failure is counted', connected, fail, { status: 'CONNECTED', failures: 1 }],
    ['the threshold-th failure makes it OFFLINE and restarts the count', { status: 'CONNECTED', failures: 2 }, fail, offline],
    ['a count already past the threshold also makes it OFFLINE', { status: 'CONNECTED', failures: 7 }, fail, offline],
    ['an unreachable receiver (no HTTP answer) is a failure', { status: 'CONNECTED', failures: 2 }, { kind: 'delivery_failed' }, offline],
    ['a 429 is not a failure', { status: 'CONNECTED', failures: 2 }, throttled, { status: 'CONNECTED', failures: 2 }],
    ['failures while OFFLINE change nothing but the count', offline, fail, { status: 'OFFLINE', failures: 1 }],
    ['a delivery brings an OFFLINE party back', { status: 'OFFLINE', failures: 9 }, { kind: 'delivered' }, connected],
    ['a delivery resets the count', { status: 'CONNECTED', failures: 2 }, { kind: 'delivered' }, connected],
    ['a good still-alive check brings an OFFLINE party back', { status: 'OFFLINE', failures: 9 }, { kind: 'alive_check', ok: true }, connected],
    ['a good still-alive check does not forgive failing deliveries', { status: 'CONNECTED', failures: 2 }, { kind: 'alive_check', ok: true }, { status: 'CONNECTED', failures: 2 }],
    ['a failed still-alive check makes a CONNECTED party OFFLINE', { status: 'CONNECTED', failures: 1 }, { kind: 'alive_check', ok: false }, offline],
    ['a failed still-alive check leaves an OFFLINE party OFFLINE', { status: 'OFFLINE', failures: 4 }, { kind: 'alive_check', ok: false }, { status: 'OFFLINE', failures: 4 }],
    ['a status set elsewhere resets the count', { status: 'OFFLINE', failures: 12 }, { kind: 'status_seen', status: 'CONNECTED' }, connected],
    ['the same status seen again keeps the count', { status: 'CONNECTED', failures: 2 }, { kind: 'status_seen', status: 'CONNECTED' }, { status: 'CONNECTED', failures: 2 }],
    ['a SUSPENDED party stays SUSPENDED whatever deliveries do', { status: 'SUSPENDED', failures: 0 }, { kind: 'delivered' }, { status: 'SUSPENDED', failures: 0 }],
    ['a SUSPENDED party stays SUSPENDED after a good still-alive check', { status: 'SUSPENDED', failures: 0 }, { kind: 'alive_check', ok: true }, { status: 'SUSPENDED', failures: 0 }],
    ['a PLANNED party stays PLANNED', { status: 'PLANNED', failures: 0 }, fail, { status: 'PLANNED', failures: 0 }],
  ])('%s', (_name, state, event, expected) => {
    expect(nextHealth(state, event)).toEqual(expected);
  });

  it('only 429s: stays CONNECTED however many', () => {
    expect(statuses(replayHealth(connected, Array(50).fill(throttled)))).toEqual(Array(50).fill('CONNECTED'));
  });

  it('brought back by a still-alive check while deliveries keep failing: OFFLINE again after the threshold', () => {
    const events: HealthEvent[] = [fail, fail, fail, fail, fail, { kind: 'alive_check', ok: true }, fail, fail, fail];
    expect(statuses(replayHealth(connected, events))).toEqual(['CONNECTED', 'CONNECTED', 'OFFLINE', 'OFFLINE', 'OFFLINE', 'CONNECTED', 'CONNECTED', 'CONNECTED', 'OFFLINE']);
  });

  it('brought back by another process (status seen) while failing: OFFLINE again after the threshold, not at once', () => {
    const events: HealthEvent[] = [fail, fail, fail, fail, fail, { kind: 'status_seen', status: 'CONNECTED' }, fail, fail, fail];
    expect(statuses(replayHealth(connected, events)).slice(5)).toEqual(['CONNECTED', 'CONNECTED', 'CONNECTED', 'OFFLINE']);
  });

  it('never moves a party into or out of PLANNED or SUSPENDED by itself, and never counts past a change', () => {
    const event = fc.oneof(
      fc.constant<HealthEvent>({ kind: 'delivered' }),
      fc.constantFrom(429, 500, 503, undefined).map((httpStatus): HealthEvent => ({ kind: 'delivery_failed', httpStatus })),
      fc.boolean().map((ok): HealthEvent => ({ kind: 'alive_check', ok })),
    );
    fc.assert(
      fc.property(fc.constantFrom('CONNECTED', 'OFFLINE', 'PLANNED', 'SUSPENDED' as const), fc.array(event, { maxLength: 60 }), (status, events) => {
        let state: HealthState = { status, failures: 0 };
        for (const e of events) {
          const next = nextHealth(state, e);
          if (status === 'PLANNED' || status === 'SUSPENDED') expect(next.status).toBe(status);
          else expect(['CONNECTED', 'OFFLINE']).toContain(next.status);
          if (next.status !== state.status) expect(next.failures).toBe(0);
          if (next.status === 'CONNECTED') expect(next.failures).toBeLessThan(OFFLINE_AFTER_FAILURES);
          state = next;
        }
      }),
    );
  });
});
