// The worker role retries refunds PayPal could not take: two worker processes (each a hub started
// with the worker role, as `hub start --roles worker` does) and a PayPal stand-in that fails every
// refund request for a while. Once it recovers, the refund is sent exactly once (one successful
// request, one refund at PayPal, one ledger entry), and a stopped worker sends nothing more.
// The workers retry every outstanding refund of their database, so this file clears in a
// namespace of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/store/db.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { listRefunds } from '../../src/clearing/refunds.ts';
import { startRefundRetrier } from '../../src/clearing/refundRetrier.ts';
import { unbalancedEntries } from '../../src/clearing/ledger.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { waitFor } from '../support/network.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { aPaidCycle, type PaidCycle } from './support.ts';

const CURRENCY = 'CZK';
const INTERVAL_MS = 200;
const REFUND_POST = /POST \/v2\/payments\/captures\/[^/]+\/refund$/;

let namespace: OwnNamespace;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
let db: Db;
let workers: TestHub[] = [];
let paid: PaidCycle;

beforeAll(async () => {
  namespace = await ownNamespace('refunds');
  db = createDb(namespace.env.DATABASE_URL, { max: 5 });
  standIn = await startPayPalStandIn({ clientId: 'worker-cid', clientSecret: 'worker-secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'worker-cid', clientSecret: 'worker-secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
  const config = { ...namespace.env, PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'worker-cid', PAYPAL_CLIENT_SECRET: 'worker-secret', PAYPAL_BASE_URL: standIn.url, REFUND_RETRY_INTERVAL_MS: String(INTERVAL_MS) };
  workers = [await startTestHub(config, ['worker']), await startTestHub(config, ['worker'])];
  paid = await aPaidCycle(db, paypal, standIn, { period: '2072-05', currency: CURRENCY, excl: ['16.0000', '11.2500'] });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await standIn?.stop();
  await db?.destroy();
  await namespace?.drop();
});

/** Upheld while every refund request fails: the refund is reserved and left outstanding. */
async function disputeWonWhilePayPalFails(cdrIndex: number) {
  const dispute = await openDispute(db, { cdr: { ...parsePartyRef(paid.cpo), id: paid.cdrs[cdrIndex].id }, opened_by: paid.emsp, reason: 'no energy delivered' });
  const resolved = await resolveDispute(db, dispute.id, 'upheld', 'test', undefined, { paypal });
  return { requestId: `refund-${dispute.id}`, refundId: (await listRefunds(db, { disputeId: dispute.id }))[0].id, resolved };
}

const posts = (requestId: string) => standIn.requests.filter((r) => REFUND_POST.test(`${r.method} ${r.path}`) && r.requestId === requestId).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the worker role retries outstanding refunds', () => {
  it('sends a refund left outstanding by a PayPal outage once PayPal recovers, exactly once, with two workers', async () => {
    // Down for the test's own five attempts and then for the workers' first round (their client tries five times too).
    const failures = 10;
    standIn.inject({ match: REFUND_POST, kind: 503, times: failures });
    const { requestId, refundId, resolved } = await disputeWonWhilePayPalFails(0);
    expect(resolved.refund?.state ?? 'created').toBe('created');

    const done = await waitFor(async () => {
      const [refund] = await listRefunds(db, { ids: [refundId] });
      return refund.state === 'completed' && refund;
    }, { timeoutMs: 30_000, what: 'the worker to complete the refund' });
    // Every failure was a request of its own; after them, one request succeeded and nobody sent it again.
    await sleep(INTERVAL_MS * 5);
    expect(posts(requestId)).toBe(failures + 1);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect([...standIn.refunds.values()].filter((r) => r.capture_id === done.capture_id)).toEqual([expect.objectContaining({ id: done.paypal_refund_id, status: 'COMPLETED' })]);
    expect(await db('ledger_entries').where({ kind: 'refund.completed' }).whereLike('ref', `refund:${refundId}:%`).count({ n: '*' }).first()).toEqual({ n: '1' });
    expect(await unbalancedEntries(db)).toEqual([]);
  });

  it('stops cleanly: a stopped retrier sends nothing, though its database and PayPal are still there', async () => {
    // A worker's retrier on a pool that outlives the worker processes.
    const deps = { ...workers[0].deps, db };
    for (const w of workers) await w.stop();
    workers = [];
    const stopped = startRefundRetrier(deps);
    await stopped.stop();

    standIn.inject({ match: REFUND_POST, kind: 503, times: 5 });
    const { requestId, refundId } = await disputeWonWhilePayPalFails(1);
    const sent = posts(requestId);
    await sleep(INTERVAL_MS * 5);
    expect(posts(requestId)).toBe(sent);
    expect((await listRefunds(db, { ids: [refundId] }))[0]).toMatchObject({ state: 'created', paypal_refund_id: null });

    // The same retrier, running, does send it.
    const running = startRefundRetrier(deps);
    try {
      await waitFor(async () => (await listRefunds(db, { ids: [refundId] }))[0].state === 'completed', { timeoutMs: 10_000, what: 'the refund' });
    } finally {
      await running.stop();
    }
    expect(posts(requestId)).toBe(sent + 1);
  });
});
