import { describe, expect, it } from 'vitest';
import { ciKey, sameCi } from './ciString.ts';

describe('ciKey', () => {
  it.each([
    ['loc1', 'LOC1'],
    ['Loc-1_a.b c', 'LOC-1_A.B C'],
    ['LOC1', 'LOC1'],
    ['~!@#$%^&*()[]{}', '~!@#$%^&*()[]{}'],
    // Outside ASCII nothing is folded: Postgres upper() would fold by locale, and ids are ASCII anyway.
    ['straße-ı-é', 'STRAßE-ı-é'],
    ['uid\u001fAPP_USER', 'UID\u001fAPP_USER'],
  ])('%j → %j', (value, key) => {
    expect(ciKey(value)).toBe(key);
  });

  it('never depends on the process locale (i stays I, not İ)', () => {
    expect(ciKey('i')).toBe('I');
    expect(ciKey('i').charCodeAt(0)).toBe(0x49);
  });
});

describe('sameCi', () => {
  it.each([
    ['LOC1', 'loc1', true],
    ['LoC1', 'lOc1', true],
    ['LOC1', 'LOC2', false],
    ['LOC1', 'LOC1 ', false],
    ['ß', 'SS', false],
  ])('%j and %j: %s', (a, b, same) => {
    expect(sameCi(a, b)).toBe(same);
  });

  it('is false for anything but two strings', () => {
    expect(sameCi(undefined, 'A')).toBe(false);
    expect(sameCi(1, '1')).toBe(false);
  });
});
