import { describe, expect, it } from 'vitest';
import { applyLocationChange, compareDateTime, patchSession, ObjectStateError, refuseOlderThanStored } from './objectState.ts';

const location = {
  id: 'LOC1',
  last_updated: '2024-01-01T00:00:00Z',
  evses: [{ uid: 'E1', status: 'AVAILABLE', last_updated: '2024-01-01T00:00:00Z', connectors: [{ id: '1', standard: 'IEC_62196_T2', last_updated: '2024-01-01T00:00:00Z' }] }],
};

describe('patchSession', () => {
  it('appends charging periods and keeps fields the patch leaves out', () => {
    const current = { id: 'S1', kwh: 1, status: 'ACTIVE', charging_periods: [{ start_date_time: 'a' }] };
    expect(patchSession(current, { kwh: 2, charging_periods: [{ start_date_time: 'b' }], last_updated: 'x' })).toEqual({
      id: 'S1',
      kwh: 2,
      status: 'ACTIVE',
      last_updated: 'x',
      charging_periods: [{ start_date_time: 'a' }, { start_date_time: 'b' }],
    });
  });

  const period = (start: string, kwh: number) => ({ start_date_time: start, dimensions: [{ type: 'ENERGY', volume: kwh }] });

  it('a PATCH sent again (the CPO retrying after a timeout) does not append its periods twice', () => {
    const patch = { kwh: 3, charging_periods: [period('2026-01-01T10:00:00Z', 1), period('2026-01-01T10:15:00Z', 2)], last_updated: 'y' };
    const once = patchSession({ id: 'S1', charging_periods: [period('2026-01-01T09:45:00Z', 0.5)] }, patch);
    const twice = patchSession(once, structuredClone(patch));
    expect(twice).toEqual(once);
    expect(twice.charging_periods).toHaveLength(3);
  });

  it('appends only the new periods when a PATCH repeats the stored tail before them; field order does not matter', () => {
    const current = { id: 'S1', charging_periods: [period('a', 1), period('b', 2)] };
    const repeated = { dimensions: [{ volume: 2, type: 'ENERGY' }], start_date_time: 'b' };
    expect(patchSession(current, { charging_periods: [repeated, period('c', 3)] }).charging_periods).toEqual([period('a', 1), period('b', 2), period('c', 3)]);
  });

  it('a PATCH sent again after a later one (its retry overtaken) does not append its period again', () => {
    const first = { charging_periods: [period('a', 1)] };
    const state = patchSession(patchSession({ id: 'S1' }, first), { charging_periods: [period('b', 2)] });
    expect(patchSession(state, first).charging_periods).toEqual([period('a', 1), period('b', 2)]);
  });

  it.each([
    ['the same start with other dimensions', [period('a', 1)], [period('a', 2)], 2],
    ['periods matching the stored tail only in part', [period('a', 1), period('b', 2)], [period('b', 2), period('c', 3), period('d', 4)], 4],
    ['several new periods at once', [period('a', 1)], [period('b', 2), period('c', 3)], 3],
  ])('still appends what is new: %s', (_what, stored, added, length) => {
    expect(patchSession({ id: 'S1', charging_periods: stored }, { charging_periods: added }).charging_periods).toHaveLength(length);
  });

  it('an empty charging_periods list changes nothing', () => {
    const current = { id: 'S1', charging_periods: [{ start_date_time: 'a' }] };
    expect(patchSession(current, { charging_periods: [] }).charging_periods).toEqual([{ start_date_time: 'a' }]);
  });
});

describe('applyLocationChange', () => {
  it('patching an EVSE updates it and moves the location last_updated forward', () => {
    const next = applyLocationChange(location, ['LOC1', 'E1'], { status: 'CHARGING', last_updated: '2024-02-01T00:00:00Z' }, 'patch');
    expect(next.last_updated).toBe('2024-02-01T00:00:00Z');
    expect((next.evses as any)[0]).toMatchObject({ uid: 'E1', status: 'CHARGING', connectors: [{ id: '1' }] });
  });

  it('putting a connector adds it and updates EVSE and location last_updated', () => {
    const next = applyLocationChange(location, ['LOC1', 'E1', '2'], { id: '2', last_updated: '2024-03-01T00:00:00Z' }, 'put');
    expect((next.evses as any)[0].connectors.map((c: any) => c.id)).toEqual(['1', '2']);
    expect((next.evses as any)[0].last_updated).toBe('2024-03-01T00:00:00Z');
    expect(next.last_updated).toBe('2024-03-01T00:00:00Z');
  });

  it('finds an EVSE and a Connector by their ids in any case (CiStrings), keeping the stored spelling', () => {
    const patched = applyLocationChange(location, ['loc1', 'e1'], { status: 'CHARGING', last_updated: '2024-02-01T00:00:00Z' }, 'patch');
    expect(patched.evses).toEqual([expect.objectContaining({ uid: 'E1', status: 'CHARGING' })]);
    const put = applyLocationChange(location, ['loc1', 'e1'], { ...location.evses[0], uid: 'e1', status: 'BLOCKED', last_updated: '2024-02-01T00:00:00Z' }, 'put');
    expect(put.evses).toEqual([expect.objectContaining({ uid: 'E1', status: 'BLOCKED' })]);
    const connector = applyLocationChange({ ...location, evses: [{ ...location.evses[0], connectors: [{ id: 'C-a', last_updated: 'x' }] }] }, ['LOC1', 'e1', 'c-A'], { id: 'c-A', standard: 'CHADEMO', last_updated: '2024-03-01T00:00:00Z' }, 'put');
    expect((connector.evses as any)[0].connectors).toEqual([{ id: 'C-a', standard: 'CHADEMO', last_updated: '2024-03-01T00:00:00Z' }]);
  });

  it.each([
    [undefined, ['LOC9', 'E1'], 'put', 'location_id'],
    [undefined, ['LOC9'], 'patch', 'location_id'],
    [location, ['LOC1', 'E9'], 'patch', 'evse_uid'],
    [location, ['LOC1', 'E9', '1'], 'put', 'evse_uid'],
    [location, ['LOC1', 'E1', '9'], 'patch', 'connector_id'],
  ] as const)('refuses a change to a parent the hub does not know (%#)', (current, ids, mode, path) => {
    try {
      applyLocationChange(current as any, [...ids], { last_updated: 'x' }, mode);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ObjectStateError);
      expect((err as ObjectStateError).path).toBe(path);
    }
  });
});

describe('compareDateTime', () => {
  it.each([
    ['2024-02-01T00:00:00.500Z', '2024-02-01T00:00:00Z', 1],
    ['2024-02-01T00:00:00Z', '2024-02-01T00:00:00.000Z', 0],
    ['2024-02-01T00:00:00', '2024-02-01T00:00:00Z', 0],
    ['2024-02-01T00:00:00.1Z', '2024-02-01T00:00:00.099999Z', 1],
    ['2024-01-31T23:59:59.999Z', '2024-02-01T00:00:00Z', -1],
  ])('%s against %s: %i (as instants, not as text)', (a, b, order) => {
    expect(compareDateTime(a, b)).toBe(order);
  });
});

describe('applyLocationChange: parent last_updated', () => {
  it('takes a child change within the same second (a fraction sorts before Z as text)', () => {
    const current = { ...location, last_updated: '2024-02-01T00:00:00Z' };
    const next = applyLocationChange(current, ['LOC1', 'E1'], { status: 'CHARGING', last_updated: '2024-02-01T00:00:00.500Z' }, 'patch');
    expect(next.last_updated).toBe('2024-02-01T00:00:00.500Z');
  });
});

describe('refuseOlderThanStored', () => {
  const stored = { ...location, last_updated: '2024-03-01T00:00:00Z', evses: [{ ...location.evses[0], last_updated: '2024-02-01T00:00:00Z' }] };
  const refused = (current: any, ids: string[], lastUpdated: string) => {
    try {
      refuseOlderThanStored(current, ids, { last_updated: lastUpdated });
      return false;
    } catch (err) {
      expect((err as ObjectStateError).path).toBe('last_updated');
      return true;
    }
  };

  it.each([
    ['the Location, older', ['LOC1'], '2024-02-15T00:00:00Z', true],
    ['the Location, the same date (a push sent again)', ['LOC1'], '2024-03-01T00:00:00Z', false],
    ['an EVSE, older than itself', ['LOC1', 'E1'], '2024-01-15T00:00:00Z', true],
    ['an EVSE, older than its Location but newer than itself', ['LOC1', 'E1'], '2024-02-15T00:00:00Z', false],
    ['a Connector, older than itself', ['LOC1', 'E1', '1'], '2023-12-31T23:59:59.999Z', true],
    ['an EVSE the hub does not hold yet', ['LOC1', 'E2'], '2000-01-01T00:00:00Z', false],
    ['a Connector the hub does not hold yet', ['LOC1', 'E1', '2'], '2000-01-01T00:00:00Z', false],
  ])('%s: refused %s', (_what, ids, lastUpdated, expected) => {
    expect(refused(stored, ids, lastUpdated)).toBe(expected);
  });

  it('dates a Location or EVSE by its newest part: a CPO that leaves the Location’s own date as it was is not refused', () => {
    const evse = { ...stored.evses[0], status: 'CHARGING', last_updated: '2024-03-01T00:00:00Z' };
    expect(refused(stored, ['LOC1'], '2024-01-01T00:00:00Z')).toBe(true);
    expect(() => refuseOlderThanStored(stored, ['LOC1'], { ...stored, last_updated: '2024-01-01T00:00:00Z', evses: [evse] })).not.toThrow();
    const sloppy = { ...stored, last_updated: '2024-01-01T00:00:00Z', evses: [evse] };
    expect(refused(sloppy, ['LOC1'], '2024-02-15T00:00:00Z')).toBe(true);
  });

  it('dates an EVSE addressed by its uid in another case by the stored one', () => {
    const stored = { ...location, evses: [{ ...location.evses[0], last_updated: '2024-02-01T00:00:00Z' }] };
    expect(() => refuseOlderThanStored(stored, ['loc1', 'e1'], { status: 'AVAILABLE', last_updated: '2024-01-15T00:00:00Z' })).toThrow(ObjectStateError);
  });

  it('passes anything for an object the hub does not hold', () => {
    expect(refused(undefined, ['S1'], '2000-01-01T00:00:00Z')).toBe(false);
  });

  it('compares instants: a fraction within the stored second is newer', () => {
    expect(refused({ id: 'S1', last_updated: '2024-01-01T00:00:00Z' }, ['S1'], '2024-01-01T00:00:00.5Z')).toBe(false);
    expect(refused({ id: 'S1', last_updated: '2024-01-01T00:00:00.5Z' }, ['S1'], '2024-01-01T00:00:00Z')).toBe(true);
  });
});
