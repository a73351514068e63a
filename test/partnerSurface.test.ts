// The hub's OCPI surface as a partner sees it: registration edge cases and request headers.
// Party ids QX*/QY* are this file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from './support/network.ts';
import { call } from './support/hub.ts';
import { TestPartner, type PartnerRole } from './support/testPartner.ts';

let net: Network;
const extra: TestPartner[] = [];

beforeAll(async () => {
  net = await Network.start();
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
