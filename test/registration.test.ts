// Registration (versions and credentials) against a real hub and real partner HTTP servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from './support/hub.ts';
import { TestPartner, type PartnerRole } from './support/testPartner.ts';

let hub: TestHub;
const partners: TestPartner[] = [];
let sequence = 0;

beforeAll(async () => {
  hub = await startTestHub();
});

afterAll(async () => {
  await Promise.all(partners.map((p) => p.stop()));
  await hub.stop();
});

/** Unique party ids per test so tests never share data. */
function roles(...kinds: PartnerRole['role'][]): PartnerRole[] {
  sequence += 1;
  return kinds.map((role, i) => ({ role, country_code: 'NL', party_id: `R${sequence.toString(36).toUpperCase().padStart(1, '0')}${i}`.slice(0, 3) }));
}

async function newPartner(kinds: PartnerRole['role'][], options?: ConstructorParameters<typeof TestPartner>[1]): Promise<TestPartner> {
  const partner = await new TestPartner(roles(...kinds), options).start();
  partners.push(partner);
  return partner;
}

async function invite(name = 'Partner'): Promise<{ token: string; versions_url: string }> {
  const result = await call(`${hub.url}/admin/partners/invitations`, { method: 'POST', body: { name }, headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
  expect(result.status).toBe(201);
  return result.body.data;
}

async function registered(kinds: PartnerRole['role'][] = ['CPO']) {
  const partner = await newPartner(kinds);
  const { token, versions_url } = await invite();
  const result = await partner.register(versions_url, token);
  expect(result.body.status_code).toBe(1000);
  return { partner, tokenA: token, credentialsUrl: result.credentialsUrl as string };
}

async function adminPartners() {
  const result = await call(`${hub.url}/admin/partners`, { headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
  return result.body.data as { id: string; state: string; auth_encoding: string; parties: { country_code: string; party_id: string; role: string; status: string }[] }[];
}

async function platformOf(partner: TestPartner) {
  const p = (await adminPartners()).find((x) => x.parties.some((party) => party.party_id === partner.roles[0].party_id));
  expect(p).toBeDefined();
  return p!;
}

describe('versions', () => {
  it('lists 2.2.1 and its endpoints to a partner holding token A', async () => {
    const { token } = await invite();
    const versions = await call(`${hub.url}/ocpi/versions`, { token });
    expect(versions.status).toBe(200);
    expect(versions.body.data).toEqual([{ version: '2.2.1', url: `${hub.url}/ocpi/2.2.1` }]);
    const details = await call(`${hub.url}/ocpi/2.2.1`, { token });
    expect(details.body.data.version).toBe('2.2.1');
    expect(details.body.data.endpoints).toContainEqual({ identifier: 'credentials', role: 'SENDER', url: `${hub.url}/ocpi/2.2.1/credentials` });
    expect(versions.headers.get('x-request-id')).toBeTruthy();
  });

  it('echoes the caller X-Request-ID and X-Correlation-ID', async () => {
    const { token } = await invite();
    const result = await call(`${hub.url}/ocpi/versions`, { token, headers: { 'X-Request-ID': 'req-1', 'X-Correlation-ID': 'corr-1' } });
    expect(result.headers.get('x-request-id')).toBe('req-1');
    expect(result.headers.get('x-correlation-id')).toBe('corr-1');
  });
});

describe('handshake started by the partner', () => {
  it('registers: the hub reads the partner endpoints with token B and answers with token C and role HUB only', async () => {
    const partner = await newPartner(['CPO', 'EMSP']);
    const { token, versions_url } = await invite('Both roles');
    const result = await partner.register(versions_url, token);
    expect(result.body.status_code).toBe(1000);
    expect(result.body.data.roles).toEqual([{ role: 'HUB', country_code: 'NL', party_id: 'HUB', business_details: { name: 'OCPI Hub' } }]);
    expect(result.body.data.url).toBe(`${hub.url}/ocpi/versions`);
    expect(result.body.data.token).not.toBe(token);
    // The hub fetched versions and details with the partner's token B.
    const fetched = partner.received.filter((r) => r.method === 'GET');
    expect(fetched.map((r) => r.path)).toEqual(['/ocpi/versions', '/ocpi/2.2.1']);
    const platform = await platformOf(partner);
    expect(platform.state).toBe('REGISTERED');
    expect(platform.parties.map((p) => `${p.role}:${p.status}`).sort()).toEqual(['CPO:CONNECTED', 'EMSP:CONNECTED']);
    // Token C works; once it is used, token A is gone.
    expect((await call(`${hub.url}/ocpi/versions`, { token: partner.hubToken })).status).toBe(200);
    expect((await call(`${hub.url}/ocpi/versions`, { token })).status).toBe(401);
  });

  it('refuses a second POST with 405', async () => {
    const { partner, credentialsUrl } = await registered();
    const again = await call(credentialsUrl, { method: 'POST', token: partner.hubToken, body: partner.credentials(partner.issueToken()) });
    expect(again.status).toBe(405);
  });

  it('answers GET credentials with the hub credentials', async () => {
    const { partner, credentialsUrl } = await registered();
    const result = await call(credentialsUrl, { token: partner.hubToken });
    expect(result.body.data).toMatchObject({ token: partner.hubToken, roles: [{ role: 'HUB' }] });
  });

  it('answers 3001 when the partner versions cannot be read, and stores nothing', async () => {
    const partner = await newPartner(['CPO']);
    const { token, versions_url } = await invite();
    partner.responder = (r) => (r.path === '/ocpi/versions' ? { status: 500, body: { oops: true } } : undefined);
    const result = await partner.register(versions_url, token);
    expect(result.body.status_code).toBe(3001);
    // Token A still works: the partner can try again.
    expect((await call(`${hub.url}/ocpi/versions`, { token })).status).toBe(200);
    partner.responder = undefined;
    expect((await partner.register(versions_url, token)).body.status_code).toBe(1000);
  });

  it('answers 3002 when the partner offers no 2.2.1', async () => {
    const partner = await newPartner(['CPO'], { versions: ['2.1.1'] });
    const { token, versions_url } = await invite();
    expect((await partner.register(versions_url, token)).body.status_code).toBe(3002);
  });

  it('answers 3003 when the partner lists no functional module', async () => {
    const partner = await newPartner(['CPO']);
    partner.responder = (r) =>
      r.path === '/ocpi/2.2.1'
        ? { body: { status_code: 1000, timestamp: new Date().toISOString(), data: { version: '2.2.1', endpoints: [{ identifier: 'credentials', role: 'SENDER', url: `${partner.url}/ocpi/2.2.1/credentials` }] } } }
        : undefined;
    const { token, versions_url } = await invite();
    expect((await partner.register(versions_url, token)).body.status_code).toBe(3003);
  });

  it('refuses a credentials body that is not a Credentials object, naming the field', async () => {
    const { token } = await invite();
    const result = await call(`${hub.url}/ocpi/2.2.1/credentials`, { method: 'POST', token, body: { token: 'x', url: 'http://127.0.0.1:1/versions' } });
    expect(result.status).toBe(200);
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toMatch(/roles/);
  });

  it('refuses a party already registered by another platform', async () => {
    const { partner } = await registered(['CPO']);
    const impostor = await new TestPartner(partner.roles).start();
    partners.push(impostor);
    const { token, versions_url } = await invite();
    const result = await impostor.register(versions_url, token);
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toMatch(/already registered/);
  });
});

describe('a registration whose answer was lost (party ids QS*)', () => {
  const credentialsUrl = () => `${hub.url}/ocpi/2.2.1/credentials`;

  /** The partner POSTs its credentials with token A; the hub registers it, but the answer never reaches the partner. */
  async function lostAnswer(target: TestHub, partyId: string) {
    const partner = await new TestPartner([
      { role: 'CPO', country_code: 'NL', party_id: partyId },
      { role: 'EMSP', country_code: 'NL', party_id: partyId },
    ]).start();
    partners.push(partner);
    const invitation = await call(`${target.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'Lost answer' }, headers: { Authorization: `Bearer ${target.config.ADMIN_TOKEN}` } });
    const tokenA = invitation.body.data.token as string;
    const body = partner.credentials(partner.issueToken());
    const first = await call(`${target.url}/ocpi/2.2.1/credentials`, { method: 'POST', token: tokenA, body });
    expect(first.body.status_code).toBe(1000);
    return { partner, tokenA, body, lostToken: first.body.data.token as string };
  }

  /** ClientInfo messages about a party the hub publishes from now on. */
  function clientInfoPublishes(partyId: string) {
    const seen: string[] = [];
    const bus = hub.deps.bus;
    const publish = bus.publish;
    bus.publish = (subject, data, msgId) => {
      const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
      if (text.includes('hubclientinfo') && text.includes(`"party_id":"${partyId}"`)) seen.push(subject);
      return publish(subject, data, msgId);
    };
    return { seen, restore: () => void (bus.publish = publish) };
  }

  async function stateOf(partyId: string) {
    const platforms = (await adminPartners()).filter((p) => p.parties.some((party) => party.party_id === partyId));
    const parties = await hub.deps.db('parties').where({ party_id: partyId }).orderBy('role').select('id', 'platform_id', 'role', 'status', 'last_updated', 'announced_at');
    return { platforms, parties };
  }

  it('answers the same POST with token A again: a new token C replaces the lost one, nothing else changes or is announced', async () => {
    await registered(['EMSP']); // a platform that receives HubClientInfo
    const published = clientInfoPublishes('QS1');
    try {
      const { partner, tokenA, body, lostToken } = await lostAnswer(hub, 'QS1');
      expect(published.seen.length).toBeGreaterThan(0);
      const announced = published.seen.length;
      const before = await stateOf('QS1');
      const fetched = partner.received.length;

      const retry = await call(credentialsUrl(), { method: 'POST', token: tokenA, body });
      expect(retry.status).toBe(200);
      expect(retry.body.status_code).toBe(1000);
      expect(retry.body.data).toMatchObject({ url: `${hub.url}/ocpi/versions`, roles: [{ role: 'HUB' }] });
      const tokenC = retry.body.data.token as string;
      expect(tokenC).not.toBe(lostToken);
      // One valid token C: the lost one no longer works.
      expect((await call(`${hub.url}/ocpi/versions`, { token: lostToken })).status).toBe(401);
      // One platform, the same parties, nothing fetched from the partner, nobody told again.
      expect(await stateOf('QS1')).toEqual(before);
      expect(before.platforms).toHaveLength(1);
      expect(partner.received.length).toBe(fetched);
      expect(published.seen.length).toBe(announced);

      // That answer was lost too: the same repeat works again, until the partner uses its token C.
      const again = await call(credentialsUrl(), { method: 'POST', token: tokenA, body });
      expect(again.body.status_code).toBe(1000);
      expect((await call(`${hub.url}/ocpi/versions`, { token: tokenC })).status).toBe(401);
      expect((await call(`${hub.url}/ocpi/versions`, { token: again.body.data.token })).status).toBe(200);
      const late = await call(credentialsUrl(), { method: 'POST', token: tokenA, body });
      expect(late.status).toBe(401);
      expect((await call(`${hub.url}/ocpi/versions`, { token: again.body.data.token })).status).toBe(200);
      expect(await stateOf('QS1')).toEqual(before);
      const log = hub.logLines.join('\n');
      for (const secret of [tokenA, lostToken, tokenC, again.body.data.token, body.token]) expect(log).not.toContain(secret);
    } finally {
      published.restore();
    }
  });

  it('refuses token A with anything but the same registration (another token B, URL or roles), changing nothing', async () => {
    const { partner, tokenA, body } = await lostAnswer(hub, 'QS2');
    const before = await stateOf('QS2');
    const others = [
      { ...body, token: partner.issueToken() },
      { ...body, url: `${partner.url}/other/versions` },
      { ...body, roles: body.roles.slice(0, 1) },
      { ...body, roles: [...body.roles, { ...body.roles[0], party_id: 'QS9' }] },
    ];
    for (const other of others) {
      const result = await call(credentialsUrl(), { method: 'POST', token: tokenA, body: other });
      expect(result.status).toBe(401);
    }
    // Not even a body that is no Credentials object is told apart from a wrong token.
    expect((await call(credentialsUrl(), { method: 'POST', token: tokenA, body: { token: 'x' } })).status).toBe(401);
    // Token A is good for nothing else either (but the GETs that restart a handshake: registrationRestart.test.ts).
    expect((await call(credentialsUrl(), { token: tokenA })).status).toBe(401);
    expect((await call(credentialsUrl(), { method: 'PUT', token: tokenA, body })).status).toBe(401);
    expect(await stateOf('QS2')).toEqual(before);
    // The same registration, in another role order and letter case, is still answered.
    const same = { ...body, roles: [...body.roles].reverse().map((r) => ({ ...r, party_id: r.party_id.toLowerCase() })) };
    const retry = await call(credentialsUrl(), { method: 'POST', token: tokenA, body: same });
    expect(retry.body.status_code).toBe(1000);
    expect(await stateOf('QS2')).toEqual(before);
  });

  it('refuses token A once the window has passed (REGISTRATION_RETRY_WINDOW_S=1 here); the lost token C still works', async () => {
    const short = await startTestHub({ REGISTRATION_RETRY_WINDOW_S: '1' });
    try {
      const { tokenA, body, lostToken } = await lostAnswer(short, 'QS3');
      await new Promise((r) => setTimeout(r, 1200));
      const retry = await call(`${short.url}/ocpi/2.2.1/credentials`, { method: 'POST', token: tokenA, body });
      expect(retry.status).toBe(401);
      expect((await call(`${short.url}/ocpi/versions`, { token: lostToken })).status).toBe(200);
    } finally {
      await short.stop();
    }
  });
});

describe('rotation started by the partner (PUT)', () => {
  it('hands out a new token; the old one keeps working until the new one is used', async () => {
    const { partner, credentialsUrl } = await registered();
    const oldToken = partner.hubToken!;
    const result = await partner.rotate(credentialsUrl);
    expect(result.body.status_code).toBe(1000);
    const newToken = partner.hubToken!;
    expect(newToken).not.toBe(oldToken);
    // The hub refetched the endpoints with the new token.
    expect(partner.received.filter((r) => r.path === '/ocpi/2.2.1').length).toBe(2);
    expect((await call(`${hub.url}/ocpi/versions`, { token: oldToken })).status).toBe(200);
    expect((await call(`${hub.url}/ocpi/versions`, { token: newToken })).status).toBe(200);
    expect((await call(`${hub.url}/ocpi/versions`, { token: oldToken })).status).toBe(401);
  });

  it('a partner that fails mid-rotation is not locked out (3001, old tokens unchanged)', async () => {
    const { partner, credentialsUrl } = await registered();
    const oldToken = partner.hubToken!;
    partner.responder = (r) => (r.path === '/ocpi/versions' ? { status: 503 } : undefined);
    const result = await partner.rotate(credentialsUrl);
    expect(result.body.status_code).toBe(3001);
    partner.responder = undefined;
    expect(partner.hubToken).toBe(oldToken);
    expect((await call(`${hub.url}/ocpi/versions`, { token: oldToken })).status).toBe(200);
    expect((await platformOf(partner)).state).toBe('REGISTERED');
  });

  it('answers 405 to PUT and DELETE with token A (not registered)', async () => {
    const partner = await newPartner(['EMSP']);
    const { token } = await invite();
    const put = await call(`${hub.url}/ocpi/2.2.1/credentials`, { method: 'PUT', token, body: partner.credentials(partner.issueToken()) });
    expect(put.status).toBe(405);
    const del = await call(`${hub.url}/ocpi/2.2.1/credentials`, { method: 'DELETE', token });
    expect(del.status).toBe(405);
  });

  it('answers 405 to PATCH', async () => {
    const { partner, credentialsUrl } = await registered();
    expect((await call(credentialsUrl, { method: 'PATCH', token: partner.hubToken, body: {} })).status).toBe(405);
  });
});

describe('unregister and register again', () => {
  it('DELETE ends the connection; a new invitation registers the same parties again', async () => {
    const { partner, credentialsUrl } = await registered(['EMSP']);
    const oldToken = partner.hubToken!;
    const del = await call(credentialsUrl, { method: 'DELETE', token: oldToken });
    expect(del.body.status_code).toBe(1000);
    expect((await call(`${hub.url}/ocpi/versions`, { token: oldToken })).status).toBe(401);
    expect((await platformOf(partner)).parties[0].status).toBe('SUSPENDED');

    const { token, versions_url } = await invite('Back again');
    expect((await partner.register(versions_url, token)).body.status_code).toBe(1000);
    const all = (await adminPartners()).filter((p) => p.parties.some((party) => party.party_id === partner.roles[0].party_id));
    expect(all).toHaveLength(1);
    expect(all[0].parties[0].status).toBe('CONNECTED');
  });
});

describe('handshake started by the hub', () => {
  it('registers with a partner from its versions URL and token A, then rotates', async () => {
    const partner = await newPartner(['EMSP']);
    const tokenA = partner.issueToken();
    const result = await call(`${hub.url}/admin/partners/registrations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` },
      body: { versions_url: partner.versionsUrl, token: tokenA, name: 'Hub-initiated' },
    });
    expect(result.status).toBe(201);
    const hubToken = partner.hubToken!;
    expect(hubToken).toBeTruthy();
    // The partner can call the hub with the token the hub gave it.
    expect((await call(`${hub.url}/ocpi/versions`, { token: hubToken })).status).toBe(200);

    const rotate = await call(`${hub.url}/admin/partners/${result.body.data.platform_id}/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(rotate.body.status_code).toBe(1000);
    expect(partner.hubToken).not.toBe(hubToken);
    expect((await call(`${hub.url}/ocpi/versions`, { token: partner.hubToken })).status).toBe(200);
  });

  it('a rotation the partner refuses leaves both sides working', async () => {
    const partner = await newPartner(['CPO']);
    const tokenA = partner.issueToken();
    const reg = await call(`${hub.url}/admin/partners/registrations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` },
      body: { versions_url: partner.versionsUrl, token: tokenA },
    });
    const hubToken = partner.hubToken!;
    partner.failCredentialsPut = 500;
    const rotate = await call(`${hub.url}/admin/partners/${reg.body.data.platform_id}/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(rotate.body.status_code).toBe(3001);
    expect((await call(`${hub.url}/ocpi/versions`, { token: hubToken })).status).toBe(200);
    partner.failCredentialsPut = undefined;
    const retry = await call(`${hub.url}/admin/partners/${reg.body.data.platform_id}/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(retry.body.status_code).toBe(1000);
  });
});

describe('authentication', () => {
  it('401 without a token, with an unknown token, and with token A on a functional module', async () => {
    expect((await call(`${hub.url}/ocpi/versions`)).status).toBe(401);
    expect((await call(`${hub.url}/ocpi/versions`, { token: 'not-a-token' })).status).toBe(401);
    const { token } = await invite();
    const clientInfo = await call(`${hub.url}/ocpi/2.2.1/sender/hubclientinfo`, { token });
    expect(clientInfo.status).toBe(401);
    expect(clientInfo.body.status_message).toMatch(/token A/);
  });

  it('accepts the legacy unencoded token form', async () => {
    const { partner } = await registered();
    expect((await call(`${hub.url}/ocpi/versions`, { token: partner.hubToken, plainToken: true })).status).toBe(200);
  });

  it('admin API requires the admin credential', async () => {
    expect((await call(`${hub.url}/admin/partners`)).status).toBe(401);
    expect((await call(`${hub.url}/admin/partners`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
  });
});

describe('bad input', () => {
  it('HTTP 400 for a body that is not JSON, and nothing changes', async () => {
    const { token } = await invite();
    const result = await call(`${hub.url}/ocpi/2.2.1/credentials`, { method: 'POST', token, rawBody: '{"token": ' });
    expect(result.status).toBe(400);
    expect(result.body.status_code).toBe(2001);
    expect((await call(`${hub.url}/ocpi/versions`, { token })).status).toBe(200);
  });

  it('413 with an OCPI error for a body over the limit', async () => {
    const { token } = await invite();
    const result = await call(`${hub.url}/ocpi/2.2.1/credentials`, { method: 'POST', token, rawBody: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(result.status).toBe(413);
    expect(result.body.status_code).toBe(2001);
  });

  it('404 with an OCPI envelope for an unknown path', async () => {
    const { partner } = await registered();
    const result = await call(`${hub.url}/ocpi/2.2.1/nothing-here`, { token: partner.hubToken });
    expect(result.status).toBe(404);
    expect(result.body.status_code).toBe(2000);
  });
});

describe('HubClientInfo', () => {
  it('lists parties with their connection status, paginated', async () => {
    const { partner } = await registered(['CPO', 'EMSP']);
    const first = await call(`${hub.url}/ocpi/2.2.1/sender/hubclientinfo?limit=1`, { token: partner.hubToken });
    expect(first.body.data).toHaveLength(1);
    expect(Number(first.headers.get('x-total-count'))).toBeGreaterThanOrEqual(2);
    expect(first.headers.get('link')).toMatch(/offset=1/);
    const all = await call(`${hub.url}/ocpi/2.2.1/sender/hubclientinfo?limit=1000`, { token: partner.hubToken });
    expect(all.body.data).toContainEqual(expect.objectContaining({ country_code: 'NL', party_id: partner.roles[0].party_id, role: 'CPO', status: 'CONNECTED' }));
  });
});

describe('logging', () => {
  it('writes one line per request with ids and never a token', async () => {
    const { partner, tokenA } = await registered();
    await call(`${hub.url}/ocpi/versions`, { token: partner.hubToken, headers: { 'X-Request-ID': 'log-check-1' } });
    const line = hub.logLines.find((l) => l.includes('log-check-1'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ msg: 'request', method: 'GET', path: '/ocpi/versions', status: 200, requestId: 'log-check-1' });
    const all = hub.logLines.join('\n');
    for (const secret of [tokenA, partner.hubToken!, ...partner.acceptedTokens, hub.config.ADMIN_TOKEN]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(all.toLowerCase()).not.toMatch(/"authorization":"token /);
  });
});
