// Behind a load balancer (TRUSTED_PROXY_HOPS=1) every request arrives from the balancer's address:
// the per-address limits (portal sign-ins, admin credentials) must count the client the balancer
// names in X-Forwarded-For, and nothing else a proxy header could say (host, protocol) may change
// the portal's redirects or cookies. Without the setting, X-Forwarded-For is a client's word and ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { call } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { LIMITS } from '../../src/portal/auth.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';
import { Network } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';

// Documentation ranges (RFC 5737): no other test signs in from these.
const LOCKED = '198.51.100.71';
const OTHER = '198.51.100.72';

async function lockOut(hub: TestHub, address: string) {
  await hub.deps.db('portal_login_attempts').insert(Array.from({ length: LIMITS.perIp }, () => ({ key: `ip:${address}`, success: false })));
}

function forwarded(b: Browserish, header: string): Browserish {
  const request = b.request.bind(b);
  b.request = (path, init = {}) => request(path, { ...init, headers: { ...init.headers, 'X-Forwarded-For': header, 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' } });
  return b;
}

describe('behind one trusted proxy', () => {
  let hub: TestHub;
  let sink: SmtpSink;
  beforeAll(async () => {
    ({ hub, sink } = await startPortalHub({ TRUSTED_PROXY_HOPS: '1', ADMIN_AUTH_FAILURES_PER_MINUTE: '1' }));
  });
  afterAll(async () => {
    await hub?.stop();
    await sink?.stop();
  });

  it('limits sign-ins per client the proxy names, not per proxy', async () => {
    await lockOut(hub, LOCKED);
    const email = await aUser(hub.deps.db, null);
    // The client put an address of its own first; only the one the proxy appended counts.
    const locked = await forwarded(new Browserish(hub.url), `${OTHER}, ${LOCKED}`).login(email);
    expect(locked.status).toBe(429);
    const other = await forwarded(new Browserish(hub.url), `${LOCKED}, ${OTHER}`).login(email);
    expect(other.status).toBe(303);
    // X-Forwarded-Host and -Proto change nothing: the redirect stays on the portal, the cookie is not
    // marked Secure on an http HUB_PUBLIC_URL.
    expect(other.headers.get('location')).toBe('/portal');
    expect(other.setCookies.find((c) => c.startsWith('portal_session='))).not.toMatch(/Secure/);
    const audit = await hub.deps.db('audit_log').where({ action: 'portal.login', subject: email }).first();
    expect(audit.details.ip).toBe(OTHER);
  });

  it('limits failed admin credentials per client the proxy names', async () => {
    const wrong = { Authorization: `Bearer ${'w'.repeat(32)}`, 'X-Forwarded-For': '198.51.100.73' };
    for (let i = 0; i < 3; i++) await call(`${hub.url}/admin/partners`, { headers: wrong });
    expect((await call(`${hub.url}/admin/partners`, { headers: wrong })).status).toBe(429);
    const right = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}`, 'X-Forwarded-For': '198.51.100.74' };
    expect((await call(`${hub.url}/admin/partners`, { headers: right })).status).toBe(200);
  });
});

describe('without trusted proxies (the default)', () => {
  let hub: TestHub;
  let sink: SmtpSink;
  beforeAll(async () => {
    ({ hub, sink } = await startPortalHub());
  });
  afterAll(async () => {
    await hub?.stop();
    await sink?.stop();
  });

  it('ignores X-Forwarded-For, which any client can send', async () => {
    await lockOut(hub, '198.51.100.75');
    const email = await aUser(hub.deps.db, null);
    const signedIn = await forwarded(new Browserish(hub.url), '198.51.100.75').login(email);
    expect(signedIn.status).toBe(303);
  });
});

describe('partners behind one trusted proxy', () => {
  let net: Network;
  let one: TestPartner;
  let two: TestPartner;
  const proxied = { 'X-Forwarded-For': '198.51.100.76', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' };
  beforeAll(async () => {
    net = await Network.start({ TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    one = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'QW1' }]);
    two = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'QW2' }]);
  });
  afterAll(async () => {
    await net?.stop();
  });

  it('keep a rate limit each, from the same client address, and page links on HUB_PUBLIC_URL', async () => {
    // Registration used part of the buckets; wait for them to refill.
    await new Promise((r) => setTimeout(r, 3100));
    const first = await net.send(one, 'GET', '/sender/hubclientinfo?limit=1', { headers: proxied });
    expect(first.status).toBe(200);
    expect(first.headers.get('link')).toMatch(new RegExp(`^<${net.hub.config.HUB_PUBLIC_URL.replace(/[.]/g, '\\.')}/ocpi/2\\.2\\.1/sender/hubclientinfo\\?`));
    for (let i = 0; i < 4; i++) await net.send(one, 'GET', '/sender/hubclientinfo?limit=1', { headers: proxied });
    expect((await net.send(one, 'GET', '/sender/hubclientinfo?limit=1', { headers: proxied })).status).toBe(429);
    expect((await net.send(two, 'GET', '/sender/hubclientinfo?limit=1', { headers: proxied })).status).toBe(200);
  });
});
