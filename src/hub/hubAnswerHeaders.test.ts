import { describe, expect, it } from 'vitest';
import { hubAnswerHeaders } from './hubAnswerHeaders.ts';

const hub = { country_code: 'NL', party_id: 'HUB' };
const emsp = { country_code: 'DE', party_id: 'EMS' };
const cpo = { country_code: 'DE', party_id: 'CPO' };

describe('hubAnswerHeaders', () => {
  it.each([
    [[emsp], { 'OCPI-from-country-code': 'NL', 'OCPI-from-party-id': 'HUB', 'OCPI-to-country-code': 'DE', 'OCPI-to-party-id': 'EMS' }],
    [[emsp, cpo], { 'OCPI-from-country-code': 'NL', 'OCPI-from-party-id': 'HUB' }],
  ])('FROM is the hub; TO the requesting party only when it is known (%o)', (readers, expected) => {
    expect(hubAnswerHeaders(hub, readers)).toEqual(expected);
  });
});
