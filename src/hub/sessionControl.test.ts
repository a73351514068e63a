import { describe, expect, it } from 'vitest';
import { sessionBelongsTo } from './sessionControl.ts';

const session = (receivers: string[], cdrToken?: unknown) => ({ receivers, data: { id: 'S1', ...(cdrToken === undefined ? {} : { cdr_token: cdrToken }) } });
const emsp = { country_code: 'NL', party_id: 'EM1' };

describe('sessionBelongsTo', () => {
  it.each([
    ['addressed to the party', session(['NL-EM1']), true],
    ['addressed to it among others (an SCSP too)', session(['BE-EM2', 'NL-EM1']), true],
    ['its cdr_token is the party’s', session(['BE-EM2'], { country_code: 'NL', party_id: 'EM1', uid: 'U' }), true],
    ['its cdr_token is the party’s, case-insensitively', session([], { country_code: 'nl', party_id: 'em1' }), true],
    ['addressed to another party, another party’s cdr_token', session(['BE-EM2'], { country_code: 'BE', party_id: 'EM2' }), false],
    ['addressed to nobody (broadcast does not count), no cdr_token', session([]), false],
    ['a cdr_token without ids', session([], { uid: 'U' }), false],
    ['same party id in another country', session(['DE-EM1'], { country_code: 'DE', party_id: 'EM1' }), false],
  ])('%s: %s', (_name, stored, expected) => {
    expect(sessionBelongsTo(stored, emsp)).toBe(expected);
  });
});
