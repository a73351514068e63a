// Audit log: every admin action and every credential change writes an audit_log row naming who
// did what to which platform, and no row carries a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/hub.ts';
import { Network } from '../support/network.ts';
import { TestPartner } from '../support/testPartner.ts';

let net: Network;
let admin: Record<string, string>;

beforeAll(async () => {
  net = await Network.start();
  admin = { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` };
});

afterAll(async () => {
  await net?.stop();
});

const rowsFor = (subject: string) => net.hub.deps.db('audit_log').where({ subject }).orderBy('id').select('actor', 'action', 'details');

describe('audit log', () => {
  it('records the partner-initiated lifecycle: invite, register (POST), update (PUT), unregister (DELETE)', async () => {
    const partner = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'AU1' }]);
    const platformId = (await net.hub.deps.db('parties').where({ country_code: 'NL', party_id: 'AU1' }).first()).platform_id as string;
    const credentialsUrl = `${net.hub.url}/ocpi/2.2.1/credentials`;
    expect((await partner.rotate(credentialsUrl)).body.status_code).toBe(1000);
    expect((await call(credentialsUrl, { method: 'DELETE', token: partner.hubToken })).body.status_code).toBe(1000);

    const rows = await rowsFor(platformId);
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['admin', 'partner.invite'],
      [`platform:${platformId}`, 'partner.register'],
      [`platform:${platformId}`, 'partner.update'],
      [`platform:${platformId}`, 'partner.unregister'],
    ]);
  });

  it('records admin actions: registration with a partner, rotation, auth encoding, CDR policy, replay', async () => {
    const partner = await new TestPartner([{ role: 'EMSP', country_code: 'NL', party_id: 'AU2' }]).start();
    net.partners.push(partner);
    const registered = await call(`${net.hub.url}/admin/partners/registrations`, { method: 'POST', headers: admin, body: { versions_url: partner.versionsUrl, token: partner.issueToken() } });
    expect(registered.status).toBe(201);
    const id = registered.body.data.platform_id as string;
    expect((await call(`${net.hub.url}/admin/partners/${id}/rotate`, { method: 'POST', headers: admin })).body.status_code).toBe(1000);
    expect((await call(`${net.hub.url}/admin/partners/${id}/auth-encoding`, { method: 'PUT', headers: admin, body: { encoding: 'plain' } })).body.status_code).toBe(1000);
    expect((await call(`${net.hub.url}/admin/partners/${id}/cdr-policy`, { method: 'PUT', headers: admin, body: { policy: 'reject' } })).body.status_code).toBe(1000);
    expect((await call(`${net.hub.url}/admin/deliveries/replay`, { method: 'POST', headers: admin, body: { receiver: 'NL-AU2' } })).body.status_code).toBe(1000);

    expect((await rowsFor(id)).map((r) => [r.actor, r.action])).toEqual([
      ['admin', 'partner.register_outbound'],
      ['admin', 'partner.rotate'],
      ['admin', 'partner.auth_encoding'],
      ['admin', 'partner.cdr_policy'],
    ]);
    const replay = await rowsFor('NL-AU2');
    expect(replay.map((r) => [r.actor, r.action])).toEqual([['admin', 'deliveries.replay']]);
  });

  it('writes no token into any audit row', async () => {
    const rows = await net.hub.deps.db('audit_log').select('actor', 'action', 'subject', 'details');
    const text = JSON.stringify(rows);
    for (const p of net.partners) for (const token of [p.hubToken!, ...p.acceptedTokens]) expect(text).not.toContain(token);
    expect(text).not.toContain(net.hub.config.ADMIN_TOKEN);
  });

  it('records a refused admin call as a refusal, without what was sent, and performs nothing', async () => {
    const before = Number((await net.hub.deps.db('audit_log').max<{ max: string }[]>('id as max'))[0].max);
    const invitations = Number((await net.hub.deps.db('audit_log').where({ action: 'partner.invite' }).count<{ count: string }[]>('* as count'))[0].count);
    const wrong = 'Bearer not-the-admin-token-4711';
    expect((await call(`${net.hub.url}/admin/partners/invitations`, { method: 'POST', headers: { Authorization: wrong }, body: { name: 'x' } })).status).toBe(401);
    expect((await call(`${net.hub.url}/admin/partners`, { method: 'GET' })).status).toBe(401);
    const rows = await net.hub.deps.db('audit_log').where('id', '>', before).orderBy('id').select('actor', 'action', 'subject', 'details');
    expect(rows.map((r) => [r.actor, r.action, r.subject])).toEqual([
      ['anonymous', 'admin.auth_refused', '/admin/partners/invitations'],
      ['anonymous', 'admin.auth_refused', '/admin/partners'],
    ]);
    expect(rows.map((r) => r.details.reason)).toEqual(['wrong admin token', 'no Authorization header']);
    expect(rows[0].details).toMatchObject({ method: 'POST', ip: expect.any(String) });
    expect(JSON.stringify(rows)).not.toContain('not-the-admin-token-4711');
    expect(Number((await net.hub.deps.db('audit_log').where({ action: 'partner.invite' }).count<{ count: string }[]>('* as count'))[0].count)).toBe(invitations);
  });
});
