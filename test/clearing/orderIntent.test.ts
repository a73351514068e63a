// A settle run that stops after PayPal created an order but before the hub saved its id. Within
// PayPal's PayPal-Request-Id window the next run gets that very order back. After it, PayPal makes a
// second order and the first cannot be looked up (Orders v2 has no search): the run reports it as
// a possible orphan, and the statement is still paid once only, whatever the payer approves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { getCycle } from '../../src/clearing/cycles.ts';
import { getStatement, statementId } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { aPaidCycle, approveOrdersOf, clearingDb } from './support.ts';

// Months no other test clears.
const WITHIN = '2137-06';
const AFTER = '2137-07';
let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
/** PayPal creates the order; the run dies before it saves the answer. */
let killed: PayPalGateway;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'oi-cid', clientSecret: 'oi-secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'oi-cid', clientSecret: 'oi-secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
  killed = { ...paypal, createOrder: async (input) => { await paypal.createOrder(input); throw new Error('settle run killed'); } };
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

const ordersOf = (statement: string) => [...standIn.orders.values()].filter((o) => o.purchase_units[0].invoice_id === statement);
const approveLink = (order: any) => order.links.find((l: any) => l.rel === 'approve').href;

async function anInterruptedCollection(period: string) {
  const paid = await aPaidCycle(db, killed, standIn, { period, currency: 'EUR', excl: ['21.00', '9.99'], pay: false });
  const st = statementId({ period, currency: 'EUR' }, paid.emsp);
  const settle = async () => (await settleCycles(db, paypal, [await getCycle(db, paid.cycleId)]))[0];
  return { ...paid, st, settle };
}

describe('an order whose creation a stopped settle run never saved', () => {
  it('within PayPal\'s request-id window: the next run gets the same order back', async () => {
    const c = await anInterruptedCollection(WITHIN);
    const payment = await db('clearing_payments').where({ statement_id: c.st }).first();
    expect(payment).toMatchObject({ order_id: null, request_id: `order-${c.st}` });
    expect(payment.order_requested_at).toBeInstanceOf(Date);
    const [only] = ordersOf(c.st);

    const next = await c.settle();
    expect(next).toMatchObject({ possible_orphan_orders: [], errors: [], awaiting_approval: 1 });
    expect(ordersOf(c.st).map((o) => o.id)).toEqual([only.id]);
    expect((await getStatement(db, c.st)).approval_url).toBe(approveLink(only));
  }, 60_000);

  it('after the window: reports the possible orphan, shows the new order, and captures the statement once', async () => {
    const c = await anInterruptedCollection(AFTER);
    const [orphan] = ordersOf(c.st);
    // Seven hours later: PayPal no longer holds the request id.
    standIn.forgetRequestIds();
    await db('clearing_payments').where({ statement_id: c.st }).update({ order_requested_at: db.raw("now() - interval '7 hours'") });

    const next = await c.settle();
    expect(next.errors).toEqual([]);
    expect(next.possible_orphan_orders).toEqual([expect.objectContaining({ statement: c.st, party: c.emsp, request_id: `order-${c.st}`, why: expect.stringMatching(/cannot look up|Nobody can pay it/) })]);
    const orders = ordersOf(c.st);
    expect(orders).toHaveLength(2);
    const fresh = orders.find((o) => o.id !== orphan.id)!;
    expect((await getStatement(db, c.st)).approval_url).toBe(approveLink(fresh));
    // Reported once: the order the hub now knows is not orphaned.
    expect((await c.settle()).possible_orphan_orders).toEqual([]);

    // Even with both orders approved (the orphan's link somehow reached the payer), one capture.
    approveOrdersOf(standIn, c.st);
    const paid = await c.settle();
    expect(paid).toMatchObject({ captured: 1, state: 'settled', errors: [] });
    expect(await c.settle()).toMatchObject({ captured: 0, state: 'settled' });
    expect([...standIn.captures.values()].filter((k) => k.invoice_id === c.st)).toHaveLength(1);
    expect(await db('ledger_entries').where({ cycle_id: c.cycleId, kind: 'collect.captured' })).toHaveLength(1);
    // PayPal itself refuses to take the statement's invoice a second time.
    await expect(paypal.captureOrder(orphan.id, 'capture-orphan')).rejects.toMatchObject({ status: 422, issue: 'DUPLICATE_INVOICE_ID' });
  }, 60_000);
});
