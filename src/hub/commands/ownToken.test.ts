import { describe, expect, it } from 'vitest';
import { InvalidParametersError } from '../../errors.ts';
import { refuseForeignToken } from './ownToken.ts';

const sender = { country_code: 'DE', party_id: 'KTM' };
const paths = (fn: () => void): string[] => {
  try {
    fn();
    return [];
  } catch (err) {
    if (!(err instanceof InvalidParametersError)) throw err;
    return err.errors.map((e) => e.path);
  }
};

describe('refuseForeignToken', () => {
  it.each([
    ['START_SESSION', { country_code: 'de', party_id: 'ktm' }, []],
    ['START_SESSION', { country_code: 'FR', party_id: 'KTN' }, ['token.country_code', 'token.party_id']],
    ['RESERVE_NOW', { country_code: 'DE', party_id: 'KTN' }, ['token.party_id']],
    ['STOP_SESSION', { country_code: 'FR', party_id: 'KTN' }, []],
    ['UNLOCK_CONNECTOR', undefined, []],
  ] as const)('%s with token %o is refused naming %o', (command, token, expected) => {
    expect(paths(() => refuseForeignToken(command, token, sender))).toEqual(expected);
  });
});
