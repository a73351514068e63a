import { describe, expect, it } from 'vitest';
import { commandAccepted, reservationHolder, type RememberedReservation } from './reservations.ts';

const now = new Date('2026-12-04T10:00:00Z');
const later = new Date('2026-12-04T11:00:00Z');
const earlier = new Date('2026-12-04T09:00:00Z');
const at = (cpo: string, result: string | null, expiry = later): RememberedReservation => ({ cpo_country_code: 'NL', cpo_party_id: cpo, result, expiry_date: expiry });

describe('reservationHolder', () => {
  it.each([
    ['no result yet', [at('C1', null)], 'C1'],
    ['ACCEPTED', [at('C1', 'ACCEPTED')], 'C1'],
    ['TIMEOUT (the charge point may hold it)', [at('C1', 'TIMEOUT')], 'C1'],
    ['one live and one rejected elsewhere', [at('C1', 'REJECTED'), at('C2', 'ACCEPTED')], 'C2'],
  ])('routes to the CPO holding it: %s', (_case, rows, cpo) => {
    expect(reservationHolder('R1', rows, now)).toEqual({ ok: true, cpo: { country_code: 'NL', party_id: cpo } });
  });

  it.each([
    ['none known', [], /knows no reservation R1/],
    ...['REJECTED', 'EVSE_OCCUPIED', 'EVSE_INOPERATIVE', 'FAILED', 'NOT_SUPPORTED', 'UNKNOWN_RESERVATION', 'CANCELED_RESERVATION'].map(
      (result) => [result, [at('C1', result)], new RegExp(`not made or has ended \\(${result}\\)`)] as const,
    ),
    ['expired', [at('C1', 'ACCEPTED', earlier)], /expired at 2026-12-04T09:00:00Z/],
    ['live at two CPOs', [at('C1', 'ACCEPTED'), at('C2', null)], /held at NL-C1 and NL-C2: name the CPO/],
  ] as const)('routes nowhere: %s', (_case, rows, message) => {
    const holder = reservationHolder('R1', rows, now);
    expect(holder.ok).toBe(false);
    if (!holder.ok) expect(holder.message).toMatch(message);
  });
});

describe('commandAccepted', () => {
  it.each([
    [1000, { result: 'ACCEPTED', timeout: 30 }, true],
    [1000, { result: 'REJECTED', timeout: 30 }, false],
    [1000, { result: 'NOT_SUPPORTED', timeout: 30 }, false],
    [1000, undefined, false],
    [2003, { result: 'ACCEPTED', timeout: 30 }, false],
  ])('status %s with %j: %s', (status_code, data, accepted) => {
    expect(commandAccepted({ body: { status_code, data, timestamp: now.toISOString() } })).toBe(accepted);
  });
});
