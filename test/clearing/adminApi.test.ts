// The clearing admin API over HTTP (a running hub, real Postgres, the PayPal stand-in): every
// route needs the admin credential; bad input gets OCPI 2001 naming the field and changes
// nothing; a cycle runs to settled and a dispute won after payment is refunded, as a settlement
// team would drive it from a tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from '../support/hub.ts';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { statementId } from '../../src/clearing/statements.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aCdr, aParty, approveOrdersOf, cdrMessage } from './support.ts';

const CURRENCY = 'NOK'; // no other test file clears NOK
let hub: TestHub;
let standIn: PayPalStandIn;
let db: Db;
let admin: Record<string, string>;

beforeAll(async () => {
  standIn = await startPayPalStandIn({ clientId: 'api-cid', clientSecret: 'api-secret' });
  // Many deliberate 401s from one address: the failure limit would answer 429 before the end.
  hub = await startTestHub({ PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'api-cid', PAYPAL_CLIENT_SECRET: 'api-secret', PAYPAL_BASE_URL: standIn.url, ADMIN_AUTH_FAILURES_PER_MINUTE: '1000' });
  db = hub.deps.db;
  admin = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` };
});

afterAll(async () => {
  await hub?.stop();
  await standIn?.stop();
});

const api = (path: string, options: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) => call(`${hub.url}/admin/clearing${path}`, { headers: admin, ...options });
const count = async (table: string) => Number((await db(table).count({ n: '*' }).first())!.n);
const counts = async () => Object.fromEntries(await Promise.all(['clearing_agreements', 'clearing_disputes', 'clearing_cycles', 'clearing_refunds', 'clearing_bookings', 'ledger_entries'].map(async (t) => [t, await count(t)])));

async function anAgreementOverApi(cpo: string, emsp: string) {
  const created = await api('/agreements', { method: 'POST', body: { cpo, emsp, valid_from: '2057-01-01T00:00:00Z', currencies: [CURRENCY], fee_fixed: '0.05', fee_percent: '1', fee_payer: 'SPLIT' } });
  expect([created.status, created.body.status_code]).toEqual([201, 1000]);
  return created.body.data;
}

describe('clearing admin API', () => {
  it('refuses every route without the admin credential, and does nothing', async () => {
    const before = await counts();
    const id = '00000000-0000-0000-0000-000000000000';
    const routes: [string, string, unknown?][] = [
      ['GET', '/agreements'],
      ['POST', '/agreements', { cpo: 'NL-AAA', emsp: 'NL-BBB', valid_from: '2057-01-01T00:00:00Z', currencies: [CURRENCY], fee_payer: 'CPO' }],
      ['POST', `/agreements/${id}/end`, {}],
      ['GET', `/agreements/${id}/history`],
      ['GET', '/disputes'],
      ['POST', '/disputes', { cdr: { country_code: 'NL', party_id: 'AAA', id: 'X' }, opened_by: 'hub', reason: 'r' }],
      ['POST', `/disputes/${id}/resolve`, { outcome: 'upheld' }],
      ['GET', '/cycles'],
      ['POST', '/cycles', { period: '2057-02', currency: CURRENCY }],
      ['GET', `/cycles/${id}`],
      ...(['close', 'net', 'statements', 'settle'] as const).map((step): [string, string] => ['POST', `/cycles/${id}/${step}`]),
      ['GET', `/cycles/${id}/reconcile`],
      ['GET', `/cycles/${id}/statements`],
      ['GET', '/statements/ST-2057-02-NOK-NL-AAA.pdf'],
      ['GET', '/refunds'],
      ['POST', '/refunds/retry', {}],
    ];
    for (const [method, path, body] of routes) {
      const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer not-the-admin-token' }, { Authorization: `Token ${hub.config.ADMIN_TOKEN}` }];
      for (const headers of attempts) {
        const res = await call(`${hub.url}/admin/clearing${path}`, { method, body, headers });
        expect([method, path, res.status, res.body?.status_code]).toEqual([method, path, 401, 2000]);
      }
    }
    expect(await counts()).toEqual(before);
  });

  it('answers bad input with OCPI 2001 naming the field, and changes nothing', async () => {
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    const agreement = await anAgreementOverApi(cpo, emsp);
    const valid = { cpo, emsp, valid_from: '2058-01-01T00:00:00Z', currencies: ['DKK'], fee_payer: 'CPO' };
    const before = await counts();

    const refused: [string, string, unknown, string][] = [
      ['POST', '/agreements', { ...valid, currencies: ['dkk'] }, 'currencies.0'],
      ['POST', '/agreements', { ...valid, fee_payer: undefined }, 'fee_payer'],
      ['POST', '/agreements', { ...valid, fee_percent: '1.23456' }, 'fee_percent'],
      ['POST', '/agreements', { ...valid, cpo: 'NLABC' }, 'cpo'],
      ['POST', '/agreements', { ...valid, cpo: emsp }, 'cpo'],
      ['POST', '/agreements', { ...valid, valid_to: '2057-06-01T00:00:00Z' }, 'valid_to'],
      ['POST', `/agreements/${agreement.id}/end`, { at: 'the end of June' }, 'at'],
      ['POST', '/disputes', { cdr: { country_code: 'NLD', party_id: 'ABC', id: 'CDR1' }, opened_by: 'hub', reason: 'r' }, 'cdr.country_code'],
      ['POST', '/disputes', { cdr: { country_code: 'NL', party_id: 'ABC', id: 'CDR1' }, opened_by: 'somebody', reason: 'r' }, 'opened_by'],
      ['POST', '/disputes', { cdr: { country_code: 'NL', party_id: 'ABC', id: 'CDR1' }, opened_by: 'hub' }, 'reason'],
      ['POST', '/disputes/00000000-0000-0000-0000-000000000000/resolve', { outcome: 'maybe' }, 'outcome'],
      ['POST', '/cycles', { period: '2057-13', currency: CURRENCY }, 'period'],
      ['POST', '/cycles', { period: '2057-03', currency: 'nok' }, 'currency'],
      ['GET', '/disputes?status=closed', undefined, 'status'],
      ['GET', '/refunds?cycle=last-month', undefined, 'cycle'],
      ['POST', '/refunds/retry', { cycle: 42 }, 'cycle'],
    ];
    for (const [method, path, body, field] of refused) {
      const res = await api(path, { method, body });
      expect([path, field, res.status, res.body.status_code]).toEqual([path, field, 200, 2001]);
      expect(res.body.status_message).toContain(`${field}: `);
      expect(res.body.data.errors).toContainEqual(expect.objectContaining({ path: field }));
    }
    const notJson = await api('/agreements', { method: 'POST', rawBody: '{"cpo": ', headers: { ...admin, 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await counts()).toEqual(before);
    expect((await api(`/agreements/${agreement.id}/history`)).body.data).toHaveLength(1);
  });

  it('runs a cycle to settled, refunds a dispute won after payment and reconciles it', async () => {
    const period = '2057-05';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await anAgreementOverApi(cpo, emsp);
    for (const p of [cpo, emsp]) await setPayee(db, p, `${p.toLowerCase()}@api.example`, { actor: 'test' });
    const cdrs = ['40.0000', '15.2500'].map((excl, i) => aCdr(cpo, { currency: CURRENCY, excl, end: `${period}-0${i + 3}T18:00:00Z` }));
    await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));

    const opened = await api('/cycles', { method: 'POST', body: { period, currency: CURRENCY } });
    expect([opened.status, opened.body.data]).toEqual([201, [expect.objectContaining({ period, currency: CURRENCY, state: 'open' })]]);
    const cycle = opened.body.data[0].id;
    for (const step of ['close', 'net', 'statements', 'settle']) expect([step, (await api(`/cycles/${cycle}/${step}`, { method: 'POST' })).body.status_code]).toEqual([step, 1000]);
    approveOrdersOf(standIn, statementId({ period, currency: CURRENCY }, emsp));
    expect((await api(`/cycles/${cycle}/settle`, { method: 'POST' })).body.data).toEqual([expect.objectContaining({ state: 'settled', errors: [] })]);

    const dispute = await api('/disputes', { method: 'POST', body: { cdr: { ...parsePartyRef(cpo), id: cdrs[0].id }, opened_by: emsp, reason: 'vehicle never charged', evidence: [{ type: 'photo', ref: 'p1' }] } });
    expect([dispute.status, dispute.body.data]).toEqual([201, expect.objectContaining({ status: 'open', suspended: false })]);
    const resolved = await api(`/disputes/${dispute.body.data.id}/resolve`, { method: 'POST', body: { outcome: 'upheld', note: 'no energy in the meter values' } });
    expect(resolved.body.data).toMatchObject({ status: 'upheld', refund: { state: 'completed', currency: CURRENCY, paid_in_cycle: cycle } });
    const refund = resolved.body.data.refund;
    expect(standIn.refunds.get(refund.paypal_refund_id)).toMatchObject({ status: 'COMPLETED', amount: { currency_code: CURRENCY, value: refund.amount } });

    expect((await api(`/refunds?cycle=${cycle}`)).body.data).toEqual([expect.objectContaining({ id: refund.id, state: 'completed' })]);
    expect((await api('/refunds/retry', { method: 'POST', body: { cycle } })).body.data).toEqual({ refunds: [], errors: [] });
    expect((await api(`/cycles/${cycle}`)).body.data).toMatchObject({ state: 'settled', refunds: [expect.objectContaining({ id: refund.id })] });
    expect((await api(`/cycles/${cycle}/reconcile`)).body.data).toMatchObject({ mismatches: [], checked_refunds: 1, checked_payments: 2 });
    expect(standIn.refunds.size).toBe(1);
  });
});
