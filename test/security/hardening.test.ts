// Hardening of partner access: rate limit per partner (429 + Retry-After), the SSRF guard on every
// URL a partner gives us (versions URL, endpoints, response_url), body limits and admin credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from '../support/hub.ts';
import { Network, party } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';
import { isPrivateAddress, assertPartnerUrl } from '../../src/partners/urlGuard.ts';
import { TokenBuckets } from '../../src/http/middlewares/rateLimit.ts';
import { sampleOf } from '../../ocpi/schemas/samples.ts';

describe('SSRF guard (pure)', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['::ffff:7f00:1', true], // how URL prints http://[::ffff:127.0.0.1]/
    ['::ffff:127.0.0.1', true],
    ['::7f00:1', true],
    ['64:ff9b::a00:1', true],
    ['2002:c0a8:101::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['fec0::1', true],
    ['ff02::1', true],
    ['8.8.8.8', false],
    ['::ffff:808:808', false],
    ['2a00:1450:4001:82a::200e', false],
  ])('%s is private: %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });

  it.each([
    'http://127.0.0.1:8080/ocpi/versions',
    'http://[::ffff:127.0.0.1]/ocpi/versions',
    'http://[::1]/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'ftp://example.com/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:25/',
    'http://user:pw@example.com/',
    'not a url',
  ])('refuses %s with 2001 unless private targets are allowed', async (url) => {
    await expect(assertPartnerUrl(url, 'url', false)).rejects.toMatchObject({ ocpiStatus: 2001 });
  });

  it('allows loopback only when configuration says so', async () => {
    await expect(assertPartnerUrl('http://127.0.0.1:1/x', 'url', true)).resolves.toBeInstanceOf(URL);
  });
});

describe('token buckets (pure)', () => {
  it('lets a burst through, then asks to wait, then refills', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(1);
    expect(buckets.take('b')).toBe(0);
    now += 500;
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThanOrEqual(1);
  });

  it('answers whole seconds for slow rates', () => {
    const buckets = new TokenBuckets(0.1, 1, () => 0);
    buckets.take('a');
    expect(buckets.take('a')).toBe(10);
  });
});

describe('admin credential failures', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ADMIN_AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers 429 with Retry-After once an address used up its failures, even for the right credential', async () => {
    const wrong = { Authorization: `Bearer ${'w'.repeat(32)}` };
    const right = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` };
    expect((await call(`${hub.url}/admin/partners`, { headers: right })).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await call(`${hub.url}/admin/partners`, { headers: wrong })).status).toBe(401);
    for (const headers of [wrong, right]) {
      const limited = await call(`${hub.url}/admin/partners`, { headers });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.body.status_code).toBe(2000);
    }
  });
});

describe('on a hub with a small rate limit and no private partner URLs', () => {
  let net: Network;
  let strict: TestHub;
  let cpo: TestPartner;
  let emsp: TestPartner;

  beforeAll(async () => {
    net = await Network.start({ RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '5' });
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'RL1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'RL2' }]);
    // A second hub on the same database that refuses loopback partner URLs.
    strict = await startTestHub({ ALLOW_PRIVATE_PARTNER_URLS: 'false' });
  });

  afterAll(async () => {
    await strict?.stop();
    await net?.stop();
  });

  it('answers 429 with Retry-After and an OCPI envelope past the burst, per partner', async () => {
    // Registration used part of the buckets; wait for them to refill.
    await new Promise((r) => setTimeout(r, 2600));
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await net.send(cpo, 'GET', '/sender/locations'));
    const limited = results.filter((r) => r.status === 429);
    expect(results.slice(0, 5).every((r) => r.status === 200)).toBe(true);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body.status_code).toBe(2000);
      expect(r.body.status_message).toMatch(/rate limit/);
      expect(typeof r.body.timestamp).toBe('string');
    }
    // Another partner has its own bucket.
    expect((await net.send(emsp, 'GET', '/sender/locations')).status).toBe(200);
    // And the limited one gets through again after Retry-After.
    await new Promise((r) => setTimeout(r, Number(limited[0].headers.get('retry-after')) * 1000 + 100));
    expect((await net.send(cpo, 'GET', '/sender/locations')).status).toBe(200);
  });

  it('refuses a loopback versions URL at registration (partner-initiated and admin-initiated)', async () => {
    const admin = { Authorization: `Bearer ${strict.config.ADMIN_TOKEN}` };
    const invite = await call(`${strict.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'ssrf' }, headers: admin });
    const tokenA = invite.body.data.token as string;
    const credentials = { ...sampleOf('credentials'), url: 'http://127.0.0.1:1/ocpi/versions' };
    for (const url of ['http://127.0.0.1:1/ocpi/versions', 'http://[::ffff:127.0.0.1]:1/ocpi/versions', 'http://169.254.169.254/latest', 'file:///etc/passwd']) {
      const posted = await call(`${strict.url}/ocpi/2.2.1/credentials`, { method: 'POST', token: tokenA, body: { ...credentials, url } });
      expect(posted.body.status_code, url).toBe(2001);
      expect(posted.body.status_message).toMatch(/^url: /);
    }
    const outbound = await call(`${strict.url}/admin/partners/registrations`, { method: 'POST', body: { versions_url: 'http://10.0.0.1/ocpi/versions', token: 'x' }, headers: admin });
    expect(outbound.body.status_code).toBe(2001);
    const platform = await strict.deps.db('platforms').where({ id: invite.body.data.platform_id }).first();
    expect(platform.state).not.toBe('REGISTERED');
  });

  it('refuses a loopback response_url on a command and forwards nothing', async () => {
    const cpoReceived = cpo.received.length;
    const body = { ...sampleOf('start_session'), response_url: 'http://127.0.0.1:9/steal' };
    const sent = await call(`${strict.url}/ocpi/2.2.1/receiver/commands/START_SESSION`, {
      method: 'POST',
      token: emsp.hubToken,
      body,
      headers: { 'OCPI-from-country-code': 'NL', 'OCPI-from-party-id': 'RL2', 'OCPI-to-country-code': party(cpo)[0], 'OCPI-to-party-id': party(cpo)[1], 'X-Request-ID': 'r1', 'X-Correlation-ID': 'c1' },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(/response_url/);
    await new Promise((r) => setTimeout(r, 200));
    expect(cpo.received.length).toBe(cpoReceived);
  });

  it('the admin API needs the admin credential', async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong-wrong-wrong-wrong-wrong' }, { Authorization: `Token ${strict.config.ADMIN_TOKEN}` }, { Authorization: `Bearer ${strict.config.ADMIN_TOKEN}x` }]) {
      const r = await call(`${strict.url}/admin/partners`, { headers });
      expect(r.status).toBe(401);
      expect(r.body.status_code).toBe(2000);
    }
    expect((await call(`${strict.url}/admin/partners`, { headers: { Authorization: `Bearer ${strict.config.ADMIN_TOKEN}` } })).status).toBe(200);
  });
});
