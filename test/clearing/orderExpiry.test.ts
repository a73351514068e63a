// A payer who never approves its PayPal order: PayPal expires the order, and the next settle run
// gives the statement a fresh order (its own PayPal-Request-Id, the same one on a rerun), puts the
// new pay link on the statement (what the portal and the emails show) and reports the renewal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { getCycle } from '../../src/clearing/cycles.ts';
import { getStatement, statementId } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { ensureTracked, getAccount } from '../../src/billing/tracking.ts';
import { aPaidCycle, approveOrdersOf, clearingDb } from './support.ts';

// A month no other test clears.
const PERIOD = '2137-05';
let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'ex-cid', clientSecret: 'ex-secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'ex-cid', clientSecret: 'ex-secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

const ordersOf = (statement: string) => [...standIn.orders.values()].filter((o) => o.purchase_units[0].invoice_id === statement);
const orderRequests = (statement: string) => standIn.requests.filter((r) => r.method === 'POST' && r.path === '/v2/checkout/orders' && r.requestId?.startsWith(`order-${statement}`)).map((r) => r.requestId);

describe('an order the payer let expire', () => {
  it('is replaced by a fresh order on the next settle run, whose link the statement then shows', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: PERIOD, currency: 'EUR', excl: ['30.00', '12.50'], pay: false });
    const st = statementId({ period: PERIOD, currency: 'EUR' }, paid.emsp);
    const settle = async (gateway = paypal) => (await settleCycles(db, gateway, [await getCycle(db, paid.cycleId)]))[0];
    const [first] = ordersOf(st);
    expect((await getStatement(db, st)).approval_url).toBe(first.links.find((l: any) => l.rel === 'approve').href);

    standIn.expire(first.id);
    const renewed = await settle();
    expect(renewed.errors).toEqual([]);
    const fresh = ordersOf(st);
    expect(fresh).toHaveLength(1);
    const link = fresh[0].links.find((l: any) => l.rel === 'approve').href;
    expect(renewed.orders_renewed).toEqual([{ statement: st, party: paid.emsp, expired_order: first.id, order: fresh[0].id, approval_url: link }]);
    expect(renewed.awaiting_approval).toBe(1);
    expect(orderRequests(st)).toEqual([`order-${st}`, `order-${st}-2`]);
    // The link everywhere it is shown: statement, payment, the billing account the portal and emails read.
    expect((await getStatement(db, st)).settlement.approval_url).toBe(link);
    expect((await db('clearing_payments').where({ statement_id: st }).first()).approval_url).toBe(link);
    await ensureTracked(db);
    expect((await getAccount(db, st)).pay_url).toBe(link);

    // A rerun leaves the live order alone.
    const rerun = await settle();
    expect(rerun).toMatchObject({ orders_created: 0, orders_renewed: [], awaiting_approval: 1, errors: [] });
    expect(ordersOf(st).map((o) => o.id)).toEqual([fresh[0].id]);

    // Expired again, and the run stops right after PayPal created the replacement: the dead link is
    // gone from the statement, and the next run gets the same order (same request id), not another.
    standIn.expire(fresh[0].id);
    const crashing: PayPalGateway = { ...paypal, createOrder: async (input) => { await paypal.createOrder(input); throw new Error('settle run killed'); } };
    const killed = await settle(crashing);
    expect(killed.errors).toEqual([expect.stringContaining('settle run killed')]);
    expect((await getStatement(db, st)).approval_url).toBeNull();
    const resumed = await settle();
    const third = ordersOf(st);
    expect(third).toHaveLength(1);
    expect(resumed.orders_renewed).toEqual([expect.objectContaining({ statement: st, expired_order: null, order: third[0].id })]);
    expect(orderRequests(st)).toEqual([`order-${st}`, `order-${st}-2`, `order-${st}-3`, `order-${st}-3`]);
    expect((await getStatement(db, st)).approval_url).toBe(third[0].links.find((l: any) => l.rel === 'approve').href);

    // Paid through the fresh order: captured once, the cycle settles.
    approveOrdersOf(standIn, st);
    const last = await settle();
    expect(last).toMatchObject({ captured: 1, state: 'settled', errors: [] });
  }, 60_000);
});
