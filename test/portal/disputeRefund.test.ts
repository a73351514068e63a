// An operator resolves, in the portal, a dispute an eMSP won after paying: the portal goes through
// the same use case as the CLI and the admin API, so the refund reaches PayPal (the stand-in) at
// once, exactly once, and the dispute page then shows it: amount and state to the operator and to
// the eMSP, nothing of it to the CPO. With PayPal down the refund is shown as not sent yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { openDispute } from '../../src/clearing/disputes.ts';
import { listRefunds } from '../../src/clearing/refunds.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { statementId } from '../../src/clearing/statements.ts';
import { formatUnits, toMinorUnits } from '../../src/clearing/money.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aPaidCycle, type PaidCycle } from '../clearing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

// A currency and months of their own: no other test file clears HKD (PayPal takes it; it does not take RON).
const CURRENCY = 'HKD';
const REFUND_POST = /POST \/v2\/payments\/captures\/[^/]+\/refund$/;

let hub: TestHub;
let sink: SmtpSink;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
let paid: PaidCycle;
let operator: Browserish;

beforeAll(async () => {
  standIn = await startPayPalStandIn({ clientId: 'portal-cid', clientSecret: 'portal-secret' });
  ({ hub, sink } = await startPortalHub({ PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'portal-cid', PAYPAL_CLIENT_SECRET: 'portal-secret', PAYPAL_BASE_URL: standIn.url }));
  paypal = createPayPal({ environment: 'standin', clientId: 'portal-cid', clientSecret: 'portal-secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
  paid = await aPaidCycle(hub.deps.db, paypal, standIn, { period: '2071-03', currency: CURRENCY, excl: ['14.0000', '9.5000'] });
  operator = new Browserish(hub.url);
  await operator.login(await aUser(hub.deps.db, null));
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
  await standIn?.stop();
});

async function aDispute(cdrIndex: number) {
  const db = hub.deps.db;
  const dispute = await openDispute(db, { cdr: { ...parsePartyRef(paid.cpo), id: paid.cdrs[cdrIndex].id }, opened_by: paid.emsp, reason: 'the session never started' });
  const booking = await db('clearing_bookings').where({ cdr_id: paid.cdrs[cdrIndex].id }).first();
  return { dispute, booking, path: `/portal/disputes/${dispute.id}` };
}

const resolve = (path: string) => operator.post(`${path}/resolve`, { outcome: 'upheld', note: 'charger log shows no energy' }, path);

describe('resolving in the portal a dispute won after payment', () => {
  it('sends the refund to PayPal once and shows it on the dispute page', async () => {
    const { dispute, booking, path } = await aDispute(0);
    const resolved = await resolve(path);
    expect(resolved.status).toBe(303);
    expect(resolved.headers.get('location')).toBe(`${path}?done=resolved`);

    const refunded = toMinorUnits(BigInt(booking.amount) + BigInt(booking.fee_emsp), CURRENCY).settle;
    const [refund] = await listRefunds(hub.deps.db, { disputeId: dispute.id });
    expect(refund).toMatchObject({ state: 'completed', amount: formatUnits(refunded, 2), request_id: `refund-${dispute.id}`, statement_id: statementId({ period: paid.period, currency: CURRENCY }, paid.emsp) });
    const atPayPal = [...standIn.refunds.values()].filter((r) => r.capture_id === refund.capture_id);
    expect(atPayPal).toEqual([expect.objectContaining({ id: refund.paypal_refund_id, status: 'COMPLETED', amount: { currency_code: CURRENCY, value: formatUnits(refunded, 2) } })]);
    expect(standIn.requests.filter((r) => r.requestId === `refund-${dispute.id}`)).toHaveLength(1);
    const audit = await hub.deps.db('audit_log').where({ action: 'portal.dispute.resolve', subject: dispute.id }).first();
    expect(audit.details).toMatchObject({ outcome: 'upheld', refund: refund.id, refund_state: 'completed' });

    const page = await operator.request(`${path}?done=resolved`);
    expect(page.text).toContain('Dispute resolved.');
    const section = /<section class="card" aria-labelledby="refund-h">[\s\S]*?<\/section>/.exec(page.text)?.[0];
    expect(section).toContain(`${formatUnits(refunded, 2)} ${CURRENCY}`);
    expect(section).toContain('<span class="badge completed">completed</span>');
    expect(section).toContain(refund.paypal_refund_id);

    // The eMSP sees its refund; the CPO, a party to the dispute too, does not.
    const emsp = new Browserish(hub.url);
    await emsp.login(await aUser(hub.deps.db, paid.emsp));
    expect((await emsp.request(path)).text).toContain(`${formatUnits(refunded, 2)} ${CURRENCY}`);
    const cpo = new Browserish(hub.url);
    await cpo.login(await aUser(hub.deps.db, paid.cpo));
    const cpoPage = await cpo.request(path);
    expect(cpoPage.status).toBe(200);
    expect(cpoPage.text).not.toContain('refund-h');

    // The statement the eMSP paid shows the refund of its payment, and stays paid.
    const statement = await emsp.request(`/portal/statements/${refund.statement_id}`);
    expect(statement.text).toMatch(new RegExp(`<dt>Refunded</dt><dd>${formatUnits(refunded, 2)} ${CURRENCY}`));
    expect(statement.text).toContain('<span class="badge paid">paid</span>');
    expect(statement.text).toContain(`of this statement's payment; netted on the next statement`);
  });

  it('shows a refund PayPal could not take yet as not sent, with the error for operators only', async () => {
    const { dispute, path } = await aDispute(1);
    // The hub's client tries five times (four retries): PayPal stays down for all of them.
    standIn.inject({ match: REFUND_POST, kind: 503, times: 5 });
    expect((await resolve(path)).status).toBe(303);
    const [refund] = await listRefunds(hub.deps.db, { disputeId: dispute.id });
    expect(refund).toMatchObject({ state: 'created', paypal_refund_id: null, attempts: 1 });
    expect([...standIn.refunds.values()].filter((r) => r.capture_id === refund.capture_id)).toHaveLength(1); // the first test's only

    const page = await operator.request(path);
    expect(page.text).toContain('<span class="badge created">created</span> not sent yet');
    expect(page.text).toMatch(/<dt>Last error<\/dt><dd>[^<]*503/);
    const emsp = new Browserish(hub.url);
    await emsp.login(await aUser(hub.deps.db, paid.emsp));
    const emspPage = await emsp.request(path);
    expect(emspPage.text).toContain('not sent yet');
    expect(emspPage.text).not.toContain('Last error');
  });
});
