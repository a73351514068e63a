import { describe, expect, it } from 'vitest';
import { registrationFingerprint } from './registrationRetry.ts';

const role = (r: string, cc: string, pid: string) => ({ role: r, country_code: cc, party_id: pid, business_details: { name: `${cc}-${pid}` } });
const registration = { token: 'token-b', url: 'https://partner.example/ocpi/versions', roles: [role('CPO', 'NL', 'ABC'), role('EMSP', 'NL', 'ABC')] };

describe('registrationFingerprint', () => {
  it.each([
    ['the same registration', registration],
    ['roles in another order', { ...registration, roles: [...registration.roles].reverse() }],
    ['ids in another letter case', { ...registration, roles: registration.roles.map((r) => ({ ...r, country_code: 'nl', party_id: 'abc' })) }],
    ['other business details', { ...registration, roles: registration.roles.map((r) => ({ ...r, business_details: { name: 'renamed' } })) }],
  ])('is the same for %s', (_, other) => {
    expect(registrationFingerprint(other)).toBe(registrationFingerprint(registration));
  });

  it.each([
    ['another token B', { ...registration, token: 'token-b2' }],
    ['another versions URL', { ...registration, url: 'https://partner.example/ocpi/versions/' }],
    ['a role less', { ...registration, roles: registration.roles.slice(0, 1) }],
    ['a role more', { ...registration, roles: [...registration.roles, role('CPO', 'NL', 'ABD')] }],
    ['another role for a party', { ...registration, roles: [role('CPO', 'NL', 'ABC'), role('NSP', 'NL', 'ABC')] }],
  ])('differs for %s', (_, other) => {
    expect(registrationFingerprint(other)).not.toBe(registrationFingerprint(registration));
  });
});
