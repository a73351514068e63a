import { describe, expect, it } from 'vitest';
import { InvalidParametersError } from '../errors.ts';
import { findDuplicateRole, refuseDuplicateRoles } from './duplicateRoles.ts';

const role = (r: string, cc: string, pid: string) => ({ role: r, country_code: cc, party_id: pid });

describe('findDuplicateRole', () => {
  it.each([
    ['one role', [role('CPO', 'NL', 'ABC')], undefined],
    ['same role, other party', [role('CPO', 'NL', 'ABC'), role('CPO', 'NL', 'ABD'), role('CPO', 'DE', 'ABC')], undefined],
    ['same party, other role', [role('CPO', 'NL', 'ABC'), role('EMSP', 'NL', 'ABC')], undefined],
    ['exact repeat', [role('CPO', 'NL', 'ABC'), role('CPO', 'NL', 'ABC')], { index: 1, firstIndex: 0 }],
    ['repeat in another letter case', [role('EMSP', 'NL', 'ABC'), role('CPO', 'NL', 'XYZ'), role('CPO', 'DE', 'ABC'), role('CPO', 'nl', 'xyz')], { index: 3, firstIndex: 1 }],
    ['first repeat wins', [role('CPO', 'NL', 'ABC'), role('EMSP', 'NL', 'ABC'), role('EMSP', 'nl', 'abc'), role('CPO', 'NL', 'abc')], { index: 2, firstIndex: 1 }],
  ])('%s', (_, roles, expected) => {
    expect(findDuplicateRole(roles)).toEqual(expected);
  });
});

describe('refuseDuplicateRoles', () => {
  it('throws 2001 naming roles[i] and the entry it repeats', () => {
    const roles = [role('CPO', 'NL', 'ABC'), role('EMSP', 'NL', 'ABC'), role('CPO', 'NL', 'XYZ'), role('CPO', 'nl', 'abc')];
    let error: unknown;
    try {
      refuseDuplicateRoles(roles);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidParametersError);
    expect((error as InvalidParametersError).ocpiStatus).toBe(2001);
    expect((error as InvalidParametersError).message).toBe('roles[3]: repeats roles[0] (CPO nl-abc): list each role of a party once');
    expect((error as InvalidParametersError).errors).toEqual([{ path: 'roles[3]', message: 'repeats roles[0] (CPO nl-abc): list each role of a party once' }]);
  });

  it('lets a list without repeats pass', () => {
    expect(() => refuseDuplicateRoles([role('CPO', 'NL', 'ABC'), role('EMSP', 'NL', 'ABC')])).not.toThrow();
  });
});
