// Amounts in the statement's own currency: KWD has 3 decimals, JPY none. The portal, the payment
// form and the tracked account show exactly what the statement asks, never a 2-decimal rounding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle, aFuturePeriod } from '../billing/support.ts';
import { getAccount } from '../../src/billing/tracking.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

const settlementOf = async (id: string) => (await hub.deps.db('clearing_statements').where({ id }).first('content')).content.settlement as { direction: string; amount: string };

describe('amounts in the currency’s minor unit', () => {
  it('shows a KWD statement to the fils (3 decimals) and lets the operator record exactly that', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod(), currency: 'KWD', cdrs: 1, excl: '10.0050' });
    const settlement = await settlementOf(cycle.payerStatement);
    expect(settlement.direction).toBe('party_pays');
    // What the statement asks, at the currency's 3 decimals (its last digit is not a 0).
    const due = settlement.amount.replace(/0$/, '');
    expect(due).toMatch(/^\d+\.\d{2}[1-9]$/);

    const account = await getAccount(db, cycle.payerStatement);
    expect(account).toMatchObject({ amount_due: due, balance: due, paid: '0.000', charges: '0.000' });

    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, cycle.emsp));
    const page = await partner.request(`/portal/statements/${cycle.payerStatement}`);
    expect(page.text).toContain(`<dt>Amount due</dt><dd>${due} KWD</dd>`);
    expect(page.text).toContain(`<strong>${due} KWD</strong>`);
    expect(page.text).not.toContain('<dt>Late fee</dt>');
    expect(page.text).toContain(`<dt>Net position</dt><dd>-${due} KWD</dd>`);
    // PayPal does not take KWD: no PayPal link is coming.
    expect(page.text).toContain(`Pay ${due} KWD by bank transfer quoting ${cycle.payerStatement} (PayPal does not take KWD).`);
    expect(page.text).not.toContain('The PayPal link appears here');
    const list = await partner.request('/portal/statements');
    expect(list.text).toContain(`<td class="num">${due} KWD</td>`);

    // The operator's form proposes the whole balance; recording it leaves nothing open.
    const operator = new Browserish(hub.url);
    await operator.login(await aUser(db, null));
    const path = `/portal/statements/${cycle.payerStatement}`;
    const form = await operator.request(path);
    expect(form.text).toContain(`name="amount" type="text" inputmode="decimal" required value="${due}"`);
    const paid = await operator.post(`${path}/payments`, { amount: due, reference: 'QP-KWD-1', received: '2026-11-20' }, path);
    expect(paid.status).toBe(303);
    expect(await getAccount(db, cycle.payerStatement)).toMatchObject({ status: 'paid', balance: '0.000', paid: due });
  });

  it('shows a JPY statement in whole yen', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod(), currency: 'JPY', cdrs: 2, excl: '1500' });
    const settlement = await settlementOf(cycle.payerStatement);
    const due = settlement.amount.replace(/\.0+$/, '');
    expect(due).toMatch(/^\d+$/);
    expect(await getAccount(db, cycle.payerStatement)).toMatchObject({ amount_due: due, balance: due, paid: '0', charges: '0', refunded: '0' });

    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, cycle.emsp));
    const page = await partner.request(`/portal/statements/${cycle.payerStatement}`);
    expect(page.text).toContain(`<dt>Amount due</dt><dd>${due} JPY</dd>`);
    expect(page.text).not.toContain('<dt>Late fee</dt>');
    expect(page.text).not.toContain('<dt>Refunded</dt>');
    expect(page.text).not.toContain('Refunds on their way');
    const payment = page.text.slice(page.text.indexOf('id="pay-h"'), page.text.indexOf('id="dl-h"'));
    expect(payment).not.toMatch(/\d\.00 JPY/);
    // The statement's own figures (kept to 4 decimals) read as yen too.
    expect(page.text).toContain(`<dt>Net position</dt><dd>-${due} JPY</dd>`);
    const home = await partner.request('/portal');
    expect(home.text).toContain(`${due} JPY, due`);
  });
});
