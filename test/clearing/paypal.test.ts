// The PayPal client (official SDK + Payouts REST) against the local stand-in: shapes, idempotency, faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPal, PayPalApiError, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';

let standIn: PayPalStandIn;
let paypal: PayPalGateway;

beforeAll(async () => {
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret', failingReceivers: new Set(['bad@example.com']) });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 1000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
});

describe('PayPal client against the stand-in', () => {
  it('creates an order idempotently by PayPal-Request-Id, refuses capture before approval, captures after', async () => {
    const input = { requestId: 'order-ST-1', amount: { currency: 'EUR', value: '12.34' }, invoiceId: 'ST-1', customId: 'cycle-1', referenceId: 'NL-ABC', description: 'statement ST-1' };
    const first = await paypal.createOrder(input);
    const again = await paypal.createOrder(input);
    expect(again.id).toBe(first.id);
    expect(first.approvalUrl).toMatch(/checkoutnow\?token=/);
    await expect(paypal.captureOrder(first.id, 'capture-ST-1')).rejects.toMatchObject({ status: 422, issue: 'ORDER_NOT_APPROVED' });
    standIn.approve(first.id);
    const captured = await paypal.captureOrder(first.id, 'capture-ST-1b');
    expect(captured.capture).toMatchObject({ status: 'COMPLETED', amount: { currency: 'EUR', value: '12.34' } });
    const replay = await paypal.captureOrder(first.id, 'capture-ST-1b');
    expect(replay.capture?.id).toBe(captured.capture?.id);
  });

  it('is refused what PayPal refuses: three decimals, a second payment of an invoice id, the same request id with another body', async () => {
    await expect(paypal.createOrder({ requestId: 'r-3dec', amount: { currency: 'EUR', value: '1.234' }, invoiceId: 'ST-3dec', customId: 'c', referenceId: 'x', description: 'd' })).rejects.toMatchObject({ status: 422, issue: 'DECIMAL_PRECISION' });
    // PayPal checks invoice ids when money moves: two orders may carry one, only one is captured.
    const one = await paypal.createOrder({ requestId: 'r-inv-1', amount: { currency: 'EUR', value: '1.00' }, invoiceId: 'ST-dup', customId: 'c', referenceId: 'x', description: 'd' });
    const two = await paypal.createOrder({ requestId: 'r-inv-2', amount: { currency: 'EUR', value: '1.00' }, invoiceId: 'ST-dup', customId: 'c', referenceId: 'x', description: 'd' });
    standIn.approve(one.id);
    standIn.approve(two.id);
    expect((await paypal.captureOrder(one.id, 'capture-inv-1')).capture?.status).toBe('COMPLETED');
    await expect(paypal.captureOrder(two.id, 'capture-inv-2')).rejects.toMatchObject({ status: 422, issue: 'DUPLICATE_INVOICE_ID' });
    await expect(paypal.createOrder({ requestId: 'r-inv-1', amount: { currency: 'EUR', value: '2.00' }, invoiceId: 'ST-dup2', customId: 'c', referenceId: 'x', description: 'd' })).rejects.toMatchObject({ issue: 'DUPLICATE_REQUEST_ID' });
  });

  it('is refused a currency PayPal does not take, in orders and payouts (CURRENCY_NOT_SUPPORTED)', async () => {
    await expect(paypal.createOrder({ requestId: 'r-kwd', amount: { currency: 'KWD', value: '1.00' }, invoiceId: 'ST-kwd', customId: 'c', referenceId: 'x', description: 'd' })).rejects.toMatchObject({ status: 422, issue: 'CURRENCY_NOT_SUPPORTED' });
    await expect(paypal.createPayout({ senderBatchId: 'cycle-krw-r0', subject: 'Clearing', items: [{ senderItemId: 'k1', receiver: 'good@example.com', recipientType: 'EMAIL', amount: { currency: 'KRW', value: '100' }, note: 'n' }] })).rejects.toMatchObject({ status: 422, issue: 'CURRENCY_NOT_SUPPORTED' });
    expect([...standIn.orders.values()].filter((o) => o.purchase_units[0].invoice_id === 'ST-kwd')).toEqual([]);
  });

  it('expires an order nobody captured as PayPal does: 404 RESOURCE_NOT_FOUND / INVALID_RESOURCE_ID on GET and capture', async () => {
    const order = await paypal.createOrder({ requestId: 'r-expire', amount: { currency: 'EUR', value: '3.00' }, invoiceId: 'ST-expire', customId: 'c', referenceId: 'x', description: 'd' });
    standIn.approve(order.id);
    standIn.expire(order.id);
    const gone = { status: 404, issue: 'INVALID_RESOURCE_ID', body: { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', links: [{ href: 'https://developer.paypal.com/docs/api/orders/v2/#error-INVALID_RESOURCE_ID', rel: 'information_link', method: 'GET' }] } };
    await expect(paypal.getOrder(order.id)).rejects.toMatchObject(gone);
    await expect(paypal.captureOrder(order.id, 'capture-expire')).rejects.toMatchObject(gone);
  });

  it('retries 5xx, 429 and timeouts with the same ids', async () => {
    standIn.inject({ match: /POST \/v2\/checkout\/orders$/, kind: 503 });
    standIn.inject({ match: /POST \/v2\/checkout\/orders$/, kind: 429 });
    standIn.inject({ match: /POST \/v2\/checkout\/orders$/, kind: 'timeout' });
    const order = await paypal.createOrder({ requestId: 'order-retry', amount: { currency: 'USD', value: '5.00' }, invoiceId: 'ST-retry', customId: 'c', referenceId: 'x', description: 'd' });
    expect(order.status).toBe('CREATED');
    const ids = standIn.requests.filter((r) => r.path === '/v2/checkout/orders' && r.requestId?.startsWith('order-retry')).map((r) => r.requestId);
    expect(ids).toEqual(['order-retry', 'order-retry', 'order-retry', 'order-retry']);
  });

  it('pays out a batch once per sender_batch_id, reports item outcomes, and finds the transactions', async () => {
    const batch = { senderBatchId: 'cycle-x-EUR-r0', subject: 'Clearing', items: [
      { senderItemId: 'i1', receiver: 'good@example.com', recipientType: 'EMAIL', amount: { currency: 'EUR', value: '9.87' }, note: 'n' },
      { senderItemId: 'i2', receiver: 'bad@example.com', recipientType: 'EMAIL', amount: { currency: 'EUR', value: '1.00' }, note: 'n' },
    ] };
    standIn.inject({ match: /POST \/v1\/payments\/payouts$/, kind: 500 });
    const created = await paypal.createPayout(batch);
    const duplicate = await paypal.createPayout(batch);
    expect(duplicate.payoutBatchId).toBe(created.payoutBatchId);
    // The same sender_batch_id with other items is refused: nothing is paid twice.
    await expect(paypal.createPayout({ ...batch, items: batch.items.slice(0, 1) })).rejects.toBeInstanceOf(PayPalApiError);
    const status = await paypal.getPayout(created.payoutBatchId);
    expect(status.items.map((i) => [i.senderItemId, i.status])).toEqual([['i1', 'SUCCESS'], ['i2', 'FAILED']]);
    const found = await paypal.searchTransactions({ start: new Date(Date.now() - 3600_000), end: new Date(Date.now() + 60_000) });
    expect(found.some((t) => t.id === status.items[0].transactionId && t.amount.value === '-9.87')).toBe(true);
  });

  it('reads every item of a payout batch larger than one page of batch details (1000 items)', async () => {
    const items = Array.from({ length: 1001 }, (_, i) => ({ senderItemId: `big-${i}`, receiver: `payee${i}@example.com`, recipientType: 'EMAIL', amount: { currency: 'EUR', value: '1.00' }, note: 'n' }));
    const created = await paypal.createPayout({ senderBatchId: 'cycle-big-EUR-r0', subject: 'Clearing', items });
    const status = await paypal.getPayout(created.payoutBatchId);
    expect(status.items).toHaveLength(1001);
    expect(new Set(status.items.map((i) => i.senderItemId)).size).toBe(1001);
    expect(status.items.every((i) => i.status === 'SUCCESS')).toBe(true);
  });

  it('refunds a capture once per PayPal-Request-Id, never beyond what was captured, and shows the refund', async () => {
    const order = await paypal.createOrder({ requestId: 'order-ST-R', amount: { currency: 'EUR', value: '12.34' }, invoiceId: 'ST-R', customId: 'c', referenceId: 'x', description: 'd' });
    standIn.approve(order.id);
    const capture = (await paypal.captureOrder(order.id, 'capture-ST-R')).capture!;
    const refund = (requestId: string, value: string) => paypal.refundCapture(capture.id, { requestId, amount: { currency: 'EUR', value }, invoiceId: 'ST-R', note: 'dispute upheld' });
    const first = await refund('refund-1', '5.00');
    expect(first).toMatchObject({ status: 'COMPLETED', amount: { currency: 'EUR', value: '5.00' } });
    expect((await refund('refund-1', '5.00')).id).toBe(first.id);
    expect(await paypal.getRefund(first.id)).toEqual(first);
    await expect(refund('refund-1', '6.00')).rejects.toMatchObject({ status: 422, issue: 'DUPLICATE_REQUEST_ID' });
    await expect(refund('refund-2', '7.35')).rejects.toMatchObject({ status: 422, issue: 'REFUND_AMOUNT_EXCEEDED' });
    await expect(paypal.refundCapture(capture.id, { requestId: 'refund-usd', amount: { currency: 'USD', value: '1.00' }, invoiceId: 'ST-R', note: 'n' })).rejects.toMatchObject({ issue: 'CURRENCY_MISMATCH' });
    await refund('refund-3', '7.34');
    await expect(refund('refund-4', '0.01')).rejects.toMatchObject({ status: 422, issue: 'CAPTURE_FULLY_REFUNDED' });
    const found = await paypal.searchTransactions({ start: new Date(Date.now() - 3600_000), end: new Date(Date.now() + 60_000) });
    expect(found.filter((t) => t.eventCode === 'T1107' && t.invoiceId === 'ST-R').map((t) => t.amount.value).sort()).toEqual(['-5.00', '-7.34']);
  });

  it('surfaces a wrong secret as a non-retryable error', async () => {
    const wrong = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'nope', baseUrl: standIn.url, backoffMs: 1 });
    const err = await wrong.getOrder('X').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
  });
});
