import { describe, expect, it } from 'vitest';
import { InvalidParametersError } from '../errors.ts';
import { pushObjectKey, queryTokenType, tokenObjectId, urlToken, urlTokenType } from './tokenIdentity.ts';

const errorsOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof InvalidParametersError) return { message: err.message, errors: err.errors };
    throw err;
  }
  return undefined;
};

describe('urlTokenType', () => {
  it.each([
    ['no query: RFID, the spec default', undefined, 'RFID'],
    ['a query without type: RFID', 'foo=1', 'RFID'],
    ['?type=RFID', 'type=RFID', 'RFID'],
    ['?type=APP_USER', 'type=APP_USER', 'APP_USER'],
    ['among other parameters', 'x=1&type=AD_HOC_USER', 'AD_HOC_USER'],
    ['OTHER', 'type=OTHER', 'OTHER'],
  ])('%s', (_name, query, expected) => {
    expect(urlTokenType(query)).toBe(expected);
  });

  it.each([['type=app_user'], ['type='], ['type=NFC']])('2001 naming type for %s (TokenType is case-sensitive)', (query) => {
    expect(errorsOf(() => urlTokenType(query))?.errors).toEqual([{ path: 'type', message: 'unknown TokenType' }]);
  });

  it('queryTokenType reports the parameter as sent, without a default', () => {
    expect(queryTokenType(undefined)).toBeUndefined();
    expect(queryTokenType('type=app_user')).toBe('app_user');
  });
});

describe('tokenObjectId', () => {
  it('an RFID token keeps its bare uid (the rows stored before type was part of the key)', () => {
    expect(tokenObjectId('UID1', 'RFID')).toBe('UID1');
  });

  it('each other type has its own id, which no uid (printable ASCII) can spell', () => {
    const ids = ['RFID', 'APP_USER', 'AD_HOC_USER', 'OTHER'].map((type) => tokenObjectId('UID1', type));
    expect(new Set(ids).size).toBe(4);
    for (const id of ids.slice(1)) expect(id).toMatch(/[^\x20-\x7e]/);
  });

  it.each([
    ['a uid of 36 printable characters', 'A'.repeat(36), undefined],
    ['a uid with spaces and punctuation', 'a b|c:d', undefined],
    ['the separator in the uid', 'UID1\u001fAPP_USER', 'uid'],
    ['a uid over 36 characters', 'A'.repeat(37), 'uid'],
    ['a non-ASCII uid', 'Ä', 'uid'],
  ])('urlToken: %s', (_name, uid, errorPath) => {
    const errors = errorsOf(() => urlToken(uid, 'type=APP_USER'));
    expect(errors?.errors[0].path).toBe(errorPath);
  });

  it('urlToken names the token of the URL', () => {
    expect(urlToken('UID1', 'type=APP_USER')).toEqual({ uid: 'UID1', type: 'APP_USER', objectId: tokenObjectId('UID1', 'APP_USER') });
    expect(urlToken('UID1', undefined)).toEqual({ uid: 'UID1', type: 'RFID', objectId: 'UID1' });
  });
});

describe('pushObjectKey', () => {
  it.each([
    ['a location (type ignored)', ['locations', 'nl', 'cpo', 'LOC1', undefined], 'locations:NL-CPO:LOC1'],
    ['an RFID token: the key it always had', ['tokens', 'NL', 'EMP', 'UID1', 'RFID'], 'tokens:NL-EMP:UID1'],
    ['an APP_USER token', ['tokens', 'NL', 'EMP', 'UID1', 'APP_USER'], 'tokens:NL-EMP/APP_USER:UID1'],
    ['a location id in another case: the key (and lane) of LOC1', ['locations', 'NL', 'CPO', 'loc1', undefined], 'locations:NL-CPO:LOC1'],
    ['an RFID uid in another case', ['tokens', 'NL', 'EMP', 'uid1', 'RFID'], 'tokens:NL-EMP:UID1'],
    ['an APP_USER uid in another case', ['tokens', 'NL', 'EMP', 'Uid1', 'APP_USER'], 'tokens:NL-EMP/APP_USER:UID1'],
  ] as const)('%s', (_name, [module, cc, pid, id, type], expected) => {
    expect(pushObjectKey(module, cc, pid, id, type)).toBe(expected);
  });

  it('no RFID uid gives the key of a token of another type', () => {
    expect(pushObjectKey('tokens', 'NL', 'EMP', 'APP_USER:UID1', 'RFID')).not.toBe(pushObjectKey('tokens', 'NL', 'EMP', 'UID1', 'APP_USER'));
    expect(pushObjectKey('tokens', 'NL', 'EMP', '/APP_USER:UID1', 'RFID')).not.toBe(pushObjectKey('tokens', 'NL', 'EMP', 'UID1', 'APP_USER'));
  });
});
