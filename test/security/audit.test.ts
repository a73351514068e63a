// Audit log: every admin action and every credential change writes an audit_log row naming who
// did what to which platform, and no row carries a token. The clearing house's operator actions
// (agreements, cycles, settlement, disputes, refund retries) write theirs too, from the admin API
// and the CLI alike; a refused one writes none.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { envValue } from '../../src/config.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { statementId } from '../../src/clearing/statements.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { call, startTestHub, type TestHub } from '../support/hub.ts';
import { Network } from '../support/network.ts';
import { TestPartner } from '../support/testPartner.ts';
import { aCdr, aParty, approveOrdersOf, cdrMessage } from '../clearing/support.ts';

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

describe('audit log of the clearing house', () => {
  const CURRENCY = 'PHP'; // no other test file clears PHP
  const SECRET = 'audit-paypal-secret-8812';
  let hub: TestHub;
  let standIn: PayPalStandIn;
  let headers: Record<string, string>;

  beforeAll(async () => {
    standIn = await startPayPalStandIn({ clientId: 'audit-cid', clientSecret: SECRET });
    hub = await startTestHub({ PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'audit-cid', PAYPAL_CLIENT_SECRET: SECRET, PAYPAL_BASE_URL: standIn.url });
    headers = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` };
  });

  afterAll(async () => {
    await hub?.stop();
    await standIn?.stop();
  });

  const api = (p: string, options: { method?: string; body?: unknown } = {}) => call(`${hub.url}/admin/clearing${p}`, { headers, ...options });
  const clearingRows = (subject: string) => hub.deps.db('audit_log').where({ subject }).where('action', 'like', 'clearing.%').orderBy('id').select('actor', 'action', 'details');
  const maxId = async () => Number((await hub.deps.db('audit_log').max<{ max: string }[]>('id as max'))[0].max ?? 0);

  it('writes one row per admin action on agreements, cycles, settlement, disputes and refunds, with what an auditor needs', async () => {
    const db = hub.deps.db;
    const period = '2063-05';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    const created = await api('/agreements', { method: 'POST', body: { cpo, emsp, valid_from: '2063-01-01T00:00:00Z', currencies: [CURRENCY], fee_fixed: '0.05', fee_percent: '1', fee_payer: 'SPLIT', reference: 'AUD-1' } });
    expect(created.status).toBe(201);
    const agreement = created.body.data.id as string;
    for (const p of [cpo, emsp]) await setPayee(db, p, `${p.toLowerCase()}@audit.example`, { actor: 'test' });
    const cdrs = ['40.0000', '15.2500'].map((excl, i) => aCdr(cpo, { currency: CURRENCY, excl, end: `${period}-0${i + 3}T18:00:00Z` }));
    await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));

    const opened = await api('/cycles', { method: 'POST', body: { period, currency: CURRENCY } });
    const cycle = opened.body.data[0].id as string;
    // Refused (the cycle is open): no row claims it was netted.
    expect((await api(`/cycles/${cycle}/net`, { method: 'POST' })).body.status_code).not.toBe(1000);
    for (const step of ['close', 'net', 'statements', 'settle']) expect([step, (await api(`/cycles/${cycle}/${step}`, { method: 'POST' })).body.status_code]).toEqual([step, 1000]);
    approveOrdersOf(standIn, statementId({ period, currency: CURRENCY }, emsp));
    expect((await api(`/cycles/${cycle}/settle`, { method: 'POST' })).body.data).toEqual([expect.objectContaining({ state: 'settled' })]);
    expect((await api(`/cycles/${cycle}/reconcile`)).body.status_code).toBe(1000);

    const dispute = await api('/disputes', { method: 'POST', body: { cdr: { ...parsePartyRef(cpo), id: cdrs[0].id }, opened_by: emsp, reason: 'vehicle never charged' } });
    expect(dispute.status).toBe(201);
    const disputeId = dispute.body.data.id as string;
    const resolved = await api(`/disputes/${disputeId}/resolve`, { method: 'POST', body: { outcome: 'upheld', note: 'no energy in the meter values' } });
    expect(resolved.body.data).toMatchObject({ status: 'upheld', refund: { state: 'completed' } });
    // Refused (already upheld): no second row.
    expect((await api(`/disputes/${disputeId}/resolve`, { method: 'POST', body: { outcome: 'rejected' } })).body.status_code).not.toBe(1000);
    expect((await api('/refunds/retry', { method: 'POST', body: { cycle } })).body.status_code).toBe(1000);
    expect((await api(`/agreements/${agreement}/end`, { method: 'POST', body: { at: '2063-12-01T00:00:00Z', reason: 'contract over' } })).body.status_code).toBe(1000);

    const cycleRows = await clearingRows(cycle);
    expect(cycleRows.map((r) => [r.actor, r.action])).toEqual([
      ['admin', 'clearing.cycle_open'],
      ['admin', 'clearing.cycle_close'],
      ['admin', 'clearing.cycle_net'],
      ['admin', 'clearing.statements'],
      ['admin', 'clearing.settle'],
      ['admin', 'clearing.settle'],
      ['admin', 'clearing.refunds_retry'],
    ]);
    const [open, close, net, statements, settle1, settle2, retry] = cycleRows.map((r) => r.details);
    // Booking the CDRs created the cycle already: the operator's open found it.
    expect(open).toMatchObject({ period, currency: CURRENCY, created: false, state: 'open' });
    expect(close).toMatchObject({ period, currency: CURRENCY, state_before: 'open', state: 'closed', at_close: { booked: 2, disputed: 0 } });
    expect(net).toMatchObject({ period, currency: CURRENCY, state_before: 'closed', state: 'netted', bookings: 2, gross_value: expect.stringMatching(/^\d+\.\d{4}$/), instructions: expect.any(Number) });
    expect(statements).toMatchObject({ period, currency: CURRENCY, statements: 2, issued_now: 2, hub_pays: expect.stringMatching(/^\d+\.\d{2}$/), parties_pay: expect.stringMatching(/^\d+\.\d{2}$/) });
    expect(settle1).toMatchObject({ state_before: 'netted', state: 'settling', orders_created: 1, awaiting_approval: 1, collected: '0.00', errors: 0 });
    expect(settle2).toMatchObject({ state: 'settled', captured: 1, collected: statements.parties_pay, paid_out: statements.hub_pays, errors: 0 });
    expect(retry).toMatchObject({ cycle, completed: 0, failed: 0, errors: 0 });

    const disputeRows = await clearingRows(disputeId);
    expect(disputeRows.map((r) => [r.actor, r.action])).toEqual([
      ['admin', 'clearing.dispute_open'],
      ['admin', 'clearing.dispute_resolve'],
    ]);
    expect(disputeRows[0].details).toMatchObject({ cdr: dispute.body.data.cdr, opened_by: emsp, reason: 'vehicle never charged', operator: true, suspended: false, currency: CURRENCY, amount: expect.any(String) });
    expect(disputeRows[1].details).toMatchObject({ outcome: 'upheld', note: 'no energy in the meter values', refund: { id: resolved.body.data.refund.id, amount: resolved.body.data.refund.amount, state: 'reserved' } });

    const agreementRows = await clearingRows(agreement);
    expect(agreementRows.map((r) => [r.actor, r.action])).toEqual([
      ['admin', 'clearing.agreement_create'],
      ['admin', 'clearing.agreement_end'],
    ]);
    expect(agreementRows[0].details).toMatchObject({ cpo, emsp, reference: 'AUD-1', currencies: [CURRENCY], fee_fixed: '0.0500', fee_percent: '1.0000', fee_payer: 'SPLIT', version: 1 });
    expect(agreementRows[1].details).toMatchObject({ cpo, emsp, valid_to: '2063-12-01T00:00:00.000Z', reason: 'contract over', version: 2 });
    // The agreement's own history stays as it was.
    expect((await api(`/agreements/${agreement}/history`)).body.data.map((h: { version: number }) => h.version)).toEqual([1, 2]);

    const text = JSON.stringify(await db('audit_log').where('action', 'like', 'clearing.%').select('actor', 'action', 'subject', 'details'));
    for (const secret of [hub.config.ADMIN_TOKEN, SECRET]) expect(text).not.toContain(secret);
  });

  it('writes no row for refused admin actions, and none for reads', async () => {
    const before = await maxId();
    const cycle = (await api('/cycles', { method: 'POST', body: { period: '2063-07', currency: CURRENCY } })).body.data[0].id as string;
    const afterOpen = await maxId();
    const refused: [string, string, unknown?][] = [
      ['POST', `/cycles/${cycle}/net`],
      ['POST', `/cycles/${cycle}/statements`],
      ['POST', `/cycles/${cycle}/settle`],
      ['POST', '/cycles', { period: '2063-13', currency: CURRENCY }],
      ['POST', '/agreements', { cpo: 'NL-ZZ9', emsp: 'BE-ZZ8', valid_from: '2063-01-01T00:00:00Z', currencies: [CURRENCY], fee_payer: 'CPO' }],
      ['POST', '/disputes', { cdr: { country_code: 'NL', party_id: 'ZZ9', id: 'NO-SUCH-CDR' }, opened_by: 'hub', reason: 'r' }],
      ['POST', '/disputes/00000000-0000-0000-0000-000000000000/resolve', { outcome: 'upheld' }],
      ['POST', '/agreements/00000000-0000-0000-0000-000000000000/end', {}],
      ['GET', `/cycles/${cycle}`],
      ['GET', `/cycles/${cycle}/reconcile`],
      ['GET', '/disputes'],
    ];
    for (const [method, p, body] of refused) await api(p, { method, body });
    expect(await hub.deps.db('audit_log').where('id', '>', before).where({ subject: cycle }).select('action', 'details')).toEqual([{ action: 'clearing.cycle_open', details: expect.objectContaining({ period: '2063-07', created: true }) }]);
    expect(await hub.deps.db('audit_log').where('id', '>', afterOpen).where('action', 'like', 'clearing.%').select('action', 'subject')).toEqual([]);
  });

  it('records CLI steps as the actor cli, and a refused one not at all', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const env = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv') };
    const hubCli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env, timeout: 60_000 }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }));
      });
    const opened = await hubCli('clearing', 'open', '--period', '2063-09', '--currency', CURRENCY);
    expect(opened.code).toBe(0);
    const cycle = JSON.parse(opened.stdout)[0].id as string;
    expect((await hubCli('clearing', 'net', '--cycle', cycle)).code).not.toBe(0);
    expect((await hubCli('clearing', 'close', '--cycle', cycle)).code).toBe(0);
    const rows = await clearingRows(cycle);
    expect(rows.map((r) => [r.actor, r.action])).toEqual([
      ['cli', 'clearing.cycle_open'],
      ['cli', 'clearing.cycle_close'],
    ]);
    expect(rows[1].details).toMatchObject({ period: '2063-09', currency: CURRENCY, state_before: 'open', state: 'closed' });

    // Setting where a party's payouts go redirects money: audited with the receiver it replaces.
    const db = hub.deps.db;
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await setPayee(db, cpo, 'first@payee.example', { actor: 'test' });
    const created = await hubCli('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--currency', CURRENCY, '--from', '2063-01-01T00:00:00Z', '--cpo-paypal', 'second@payee.example');
    expect(created.code).toBe(0);
    const payeeRows = await db('audit_log').where({ subject: cpo, action: 'clearing.payee_set' }).orderBy('id').select('actor', 'details');
    expect(payeeRows).toEqual([
      { actor: 'test', details: { receiver: 'first@payee.example', recipient_type: 'EMAIL', previous: null } },
      { actor: 'cli', details: { receiver: 'second@payee.example', recipient_type: 'EMAIL', previous: { receiver: 'first@payee.example', recipient_type: 'EMAIL' } } },
    ]);
  });
});
