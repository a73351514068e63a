// The hub's OCPI surface as a partner sees it: registration edge cases and request headers.
// Party ids QX*/QY*/QR* are this file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, waitFor } from './support/network.ts';
import { call } from './support/hub.ts';
import { TestPartner, type PartnerRole } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
const extra: TestPartner[] = [];

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'QY1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'QY2' }]);
});

afterAll(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await net?.stop();
});

async function invite(): Promise<{ token: string; versions_url: string }> {
  const result = await call(`${net.hub.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'surface' }, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
  return result.body.data;
}

async function partner(roles: PartnerRole[]): Promise<TestPartner> {
  const p = await new TestPartner(roles).start();
  extra.push(p);
  return p;
}

describe('registration', () => {
  it.each([
    ['NL', 'HUB'],
    ['nl', 'hub'],
  ])('refuses a partner registering the hub’s own party %s-%s (2001 naming roles[i]), and nothing is stored', async (cc, pid) => {
    const impostor = await partner([
      { role: 'CPO', country_code: 'NL', party_id: 'QX1' },
      { role: 'CPO', country_code: cc, party_id: pid },
    ]);
    const { token, versions_url } = await invite();
    const result = await impostor.register(versions_url, token);
    expect(result.status).toBe(200);
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toMatch(/roles\[1\].*hub/i);
    expect(result.body.data.errors).toEqual([{ path: 'roles[1]', message: expect.stringMatching(/hub/) }]);
    // Nothing was asked of the partner, nothing registered: token A still registers it properly.
    expect(impostor.received.filter((r) => r.path.includes('/ocpi/'))).toEqual([]);
    impostor.roles.splice(1, 1);
    const retry = await impostor.register(versions_url, token);
    expect(retry.body.status_code).toBe(1000);
    const info = await call(`${net.hub.url}/ocpi/2.2.1/sender/hubclientinfo`, { token: impostor.hubToken });
    expect(info.body.data.filter((c: { party_id: string }) => c.party_id.toUpperCase() === 'HUB')).toEqual([]);
    impostor.roles.push({ role: 'CPO', country_code: 'NL', party_id: 'QX1' });
    await call(`${net.hub.url}/ocpi/2.2.1/credentials`, { method: 'DELETE', token: impostor.hubToken });
  });

  it('refuses a credentials PUT that adds the hub’s own party', async () => {
    const p = await partner([{ role: 'EMSP', country_code: 'NL', party_id: 'QX2' }]);
    const { token, versions_url } = await invite();
    const registered = await p.register(versions_url, token);
    const credentialsUrl = registered.credentialsUrl as string;
    const body = { ...p.credentials(p.issueToken()) };
    body.roles = [...body.roles, { role: 'EMSP', country_code: 'NL', party_id: 'HUB', business_details: { name: 'x' } }];
    const result = await call(credentialsUrl, { method: 'PUT', token: p.hubToken, body });
    expect(result.body.status_code).toBe(2001);
    expect(result.body.data.errors[0].path).toBe('roles[1]');
    const info = await call(`${net.hub.url}/ocpi/2.2.1/sender/hubclientinfo`, { token: p.hubToken });
    expect(info.body.status_code).toBe(1000);
    expect(info.body.data.filter((c: { party_id: string }) => c.party_id.toUpperCase() === 'HUB')).toEqual([]);
  });
});

describe('credentials listing one role twice', () => {
  const roles = (): PartnerRole[] => [
    { role: 'CPO', country_code: 'NL', party_id: 'QR1' },
    { role: 'EMSP', country_code: 'NL', party_id: 'QR1' },
    { role: 'CPO', country_code: 'NL', party_id: 'QR2' },
    { role: 'CPO', country_code: 'nl', party_id: 'qr1' },
  ];

  it('refuses a POST repeating a role of a party (any letter case) with 2001 naming roles[3]; nothing is stored', async () => {
    const p = await partner(roles());
    const { token, versions_url } = await invite();
    const result = await p.register(versions_url, token);
    expect(result.status).toBe(200);
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toMatch(/roles\[3\].*roles\[0\]/);
    expect(result.body.data.errors).toEqual([{ path: 'roles[3]', message: expect.stringMatching(/repeats roles\[0\]/) }]);
    // Nothing was asked of the partner and nothing registered: token A registers the corrected list,
    // where the same role for another party and another role for the same party are fine.
    expect(p.received.filter((r) => r.path.includes('/ocpi/'))).toEqual([]);
    p.roles.splice(3, 1);
    const retry = await p.register(versions_url, token);
    expect(retry.body.status_code).toBe(1000);
    const info = await call(`${net.hub.url}/ocpi/2.2.1/sender/hubclientinfo?limit=1000`, { token: p.hubToken });
    // Exactly this test's parties: other test files register random party ids (QRX…) in the same database.
    const listed = info.body.data.filter((c: { country_code: string; party_id: string }) => c.country_code.toUpperCase() === 'NL' && ['QR1', 'QR2'].includes(c.party_id.toUpperCase()));
    expect(listed.map((c: { role: string; party_id: string }) => `${c.role}:${c.party_id}`).sort()).toEqual(['CPO:QR1', 'CPO:QR2', 'EMSP:QR1']);
  });

  it('refuses a PUT repeating a role with 2001 naming roles[1]; the token and parties stay as they were', async () => {
    const p = await partner([{ role: 'EMSP', country_code: 'NL', party_id: 'QR3' }]);
    const { token, versions_url } = await invite();
    const registered = await p.register(versions_url, token);
    const before = await call(`${net.hub.url}/admin/partners`, { headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
    const body = p.credentials(p.issueToken());
    body.roles = [...body.roles, { ...body.roles[0], party_id: 'qr3', business_details: { name: 'again' } }];
    const result = await call(registered.credentialsUrl as string, { method: 'PUT', token: p.hubToken, body });
    expect(result.body.status_code).toBe(2001);
    expect(result.body.data.errors).toEqual([{ path: 'roles[1]', message: expect.stringMatching(/repeats roles\[0\]/) }]);
    // The token the partner holds still works and is the only one: no rotation happened.
    expect((await call(`${net.hub.url}/ocpi/versions`, { token: p.hubToken })).status).toBe(200);
    const after = await call(`${net.hub.url}/admin/partners`, { headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
    const mine = (list: { body: { data: { parties: { party_id: string }[] }[] } }) => list.body.data.find((x) => x.parties.some((q) => q.party_id === 'QR3'));
    expect(mine(after)).toEqual(mine(before));
  });
});

describe('routing headers', () => {
  const location = (id: string) => ({ ...example('location_example.json'), id, country_code: 'NL', party_id: 'QY1' });

  it.each([
    [{ 'OCPI-to-party-id': 'QY2' }, 'OCPI-to-country-code'],
    [{ 'OCPI-to-country-code': 'NL' }, 'OCPI-to-party-id'],
    [{ 'OCPI-from-party-id': 'QY1' }, 'OCPI-from-country-code'],
    [{ 'OCPI-to-country-code': 'NL', 'OCPI-to-party-id': 'Q Y2' }, 'OCPI-to-party-id'],
  ])('refuses a push with half a routing address %o (2001 naming %s): nothing stored, nothing sent', async (headers, missing) => {
    const id = `RH-${missing}-${Object.values(headers).join('')}`.replace(/[^A-Za-z0-9-]/g, '');
    const before = emsp.received.length;
    const result = await net.send(cpo, 'PUT', `/receiver/locations/NL/QY1/${id}`, { body: location(id), headers });
    expect(result.status).toBe(200);
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toContain(missing);
    expect(result.body.data.errors.map((e: { path: string }) => e.path)).toEqual([missing]);
    const stored = await net.send(cpo, 'GET', `/receiver/locations/NL/QY1/${id}`);
    expect(stored.status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect(emsp.received.slice(before).filter((r) => r.path.includes(id))).toEqual([]);
  });

  it('still routes a push with the whole address, and ignores half headers on configuration modules', async () => {
    const pushed = await net.send(cpo, 'PUT', '/receiver/locations/NL/QY1/RH-OK', { body: location('RH-OK'), from: ['NL', 'QY1'], to: ['NL', 'QY2'] });
    expect(pushed.body.status_code).toBe(1000);
    await waitFor(() => emsp.received.some((r) => r.path.includes('RH-OK')), { what: 'the addressed push' });
    const versions = await call(`${net.hub.url}/ocpi/versions`, { token: cpo.hubToken, headers: { 'OCPI-to-party-id': 'HUB' } });
    expect(versions.body.status_code).toBe(1000);
    const info = await net.send(cpo, 'GET', '/sender/hubclientinfo', { headers: { 'OCPI-to-party-id': 'HUB' } });
    expect(info.body.status_code).toBe(1000);
  });

  it('answers an unknown caller 401 before looking at its routing headers', async () => {
    const result = await call(`${net.hub.url}/ocpi/2.2.1/receiver/locations/NL/QY1/RH-X`, { method: 'PUT', token: 'unknown-token', body: location('RH-X'), headers: { 'OCPI-to-party-id': 'QY2' } });
    expect(result.status).toBe(401);
  });
});

describe('GET All via Hub', () => {
  const routingOf = (headers: Headers) => ['ocpi-to-country-code', 'ocpi-to-party-id', 'ocpi-from-country-code', 'ocpi-from-party-id'].map((h) => headers.get(h));

  it.each([
    ['addressed to the hub', { to: ['NL', 'HUB'] as [string, string] }],
    ['without OCPI-to-*', {}],
  ])('answers %s with TO = the requesting party and FROM = the hub', async (_, options) => {
    for (const module of ['locations', 'tariffs', 'cdrs']) {
      const result = await net.send(emsp, 'GET', `/sender/${module}`, options);
      expect(result.body.status_code).toBe(1000);
      expect(routingOf(result.headers), module).toEqual(['NL', 'QY2', 'NL', 'HUB']);
    }
  });

  it('names the requesting party of a platform with several only when OCPI-from-* says which', async () => {
    const both = await net.join([
      { role: 'CPO', country_code: 'NL', party_id: 'QY3' },
      { role: 'EMSP', country_code: 'NL', party_id: 'QY4' },
    ]);
    const unnamed = await net.send(both, 'GET', '/sender/locations');
    expect(routingOf(unnamed.headers)).toEqual([null, null, 'NL', 'HUB']);
    const named = await net.send(both, 'GET', '/sender/locations', { from: ['NL', 'QY4'] });
    expect(routingOf(named.headers)).toEqual(['NL', 'QY4', 'NL', 'HUB']);
  });
});
