import { describe, expect, it } from 'vitest';
import { hubNextLink, readingParty } from './forwardList.ts';
import type { DirectoryParty } from './partyDirectory.ts';

const endpoint = 'https://cpo.example/ocpi/cpo/2.2.1/cdrs';
const hubList = 'https://hub.example/ocpi/2.2.1/sender/cdrs';

describe('hubNextLink', () => {
  it.each([
    ['an absolute link on the endpoint', `<${endpoint}?offset=50&limit=50&date_from=2026-01-01T00:00:00Z>; rel="next"`, `<${hubList}?offset=50&limit=50&date_from=2026-01-01T00:00:00Z>; rel="next"`],
    ['a trailing slash on the endpoint path', `<${endpoint}/?offset=2>; rel="next"`, `<${hubList}?offset=2>; rel="next"`],
    ['a relative link', '</ocpi/cpo/2.2.1/cdrs?offset=10&limit=10>; rel="next"', `<${hubList}?offset=10&limit=10>; rel="next"`],
    ['an opaque cursor in the query', `<${endpoint}?cursor=abc%3D%3D>; rel=next`, `<${hubList}?cursor=abc%3D%3D>; rel="next"`],
  ])('rewrites %s to the hub', (_name, link, expected) => {
    expect(hubNextLink(link, endpoint, hubList)).toEqual({ ok: true, link: expected });
  });

  it('has nothing to rewrite without a next link', () => {
    expect(hubNextLink('<https://cpo.example/a>; rel="prev"', endpoint, hubList)).toEqual({ ok: true, link: undefined });
  });

  it.each([
    ['another host', '<https://evil.example/ocpi/cpo/2.2.1/cdrs?offset=5>; rel="next"'],
    ['another path', '<https://cpo.example/ocpi/cpo/2.2.1/cdrs/page/2>; rel="next"'],
    ['no query', `<${endpoint}>; rel="next"`],
  ])('drops a next link to %s (the hub calls only the endpoint it knows)', (_name, link) => {
    expect(hubNextLink(link, endpoint, hubList).ok).toBe(false);
  });
});

describe('readingParty', () => {
  const party = (cc: string, pid: string, role: string): DirectoryParty =>
    ({ country_code: cc, party_id: pid, role, status: 'CONNECTED', platformId: 'p', interfaces: new Set(), partyUuid: `${cc}${pid}${role}`, platformState: 'REGISTERED', platformUpdatedAt: new Date(0), endpoints: [] }) as DirectoryParty;
  const emsp = party('NL', 'EMS', 'EMSP');
  const cpo = party('NL', 'CPO', 'CPO');
  const from = (p: DirectoryParty) => ({ from: { countryCode: p.country_code, partyId: p.party_id } });

  it.each([
    ['OCPI-from-* when it is one of the caller’s', [emsp, cpo], 'locations', from(cpo), cpo],
    ['the only party', [cpo], 'locations', {}, cpo],
    ['the only party not owning the module', [emsp, cpo], 'cdrs', {}, emsp],
    ['the only party not owning tokens', [emsp, cpo], 'tokens', {}, cpo],
  ] as const)('takes %s', (_name, own, module, routing, expected) => {
    expect(readingParty([...own], module, routing)).toBe(expected);
  });

  it.each([
    ['a FROM that is not the caller’s', [emsp], from(party('DE', 'XXX', 'EMSP'))],
    ['no FROM with two readers', [emsp, party('NL', 'NSP', 'NSP')], {}],
  ] as const)('refuses %s with 2001 naming OCPI-from-party-id', (_name, own, routing) => {
    expect(() => readingParty([...own], 'locations', routing)).toThrow(expect.objectContaining({ ocpiStatus: 2001, errors: [expect.objectContaining({ path: 'OCPI-from-party-id' })] }));
  });
});
