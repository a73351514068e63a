// The hub's own bank transfer to a party, in a currency PayPal does not take (KWD), recorded by the
// operator in the portal or through the admin API, the way `hub statements pay` records it: the
// statement is paid and the ledger books the hub's cash going out. In EUR the hub pays through
// PayPal Payouts: no form, and the admin API refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { call } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { getAccount } from '../../src/billing/tracking.ts';
import { unbalancedEntries } from '../../src/clearing/ledger.ts';
import { aBilledCycle } from '../billing/support.ts';
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

// The heading of the form (its apostrophe HTML-escaped).
const HUB_FORM = /Record the hub(&#39;|&#x27;|')s bank transfer/;
const admin = () => ({ Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` });

describe("the hub's bank transfer where PayPal does not take the currency", () => {
  it('is recorded from the operator portal', async () => {
    const db = hub.deps.db;
    const kwd = await aBilledCycle(db, { currency: 'KWD', excl: '20.125' });
    const before = await getAccount(db, kwd.payeeStatement);
    expect(before).toMatchObject({ direction: 'hub_pays', status: expect.not.stringMatching(/paid/) });
    const b = new Browserish(hub.url);
    await b.login(await aUser(db, null));
    const page = await b.request(`/portal/statements/${kwd.payeeStatement}`);
    expect(page.text).toMatch(HUB_FORM);
    expect(page.text).not.toContain('Write off');
    const done = await b.post(`/portal/statements/${kwd.payeeStatement}/payments`, { amount: before.balance, reference: 'QW-KWD-OUT', received: '2026-11-20' }, `/portal/statements/${kwd.payeeStatement}`);
    expect(done.status).toBe(303);
    expect(await getAccount(db, kwd.payeeStatement)).toMatchObject({ status: 'paid', balance: '0.000', paid: before.balance });
    const entry = await db('ledger_entries').where({ kind: 'billing.bank_payout' }).whereLike('memo', `%QW-KWD-OUT%`).first();
    expect(entry).toBeDefined();
    expect(await unbalancedEntries(db)).toEqual([]);
    expect(await db('audit_log').where({ action: 'billing.payout.record', subject: kwd.payeeStatement })).toHaveLength(1);
    // Paid: the form is gone.
    expect((await b.request(`/portal/statements/${kwd.payeeStatement}`)).text).not.toMatch(HUB_FORM);
  });

  it('is recorded through the admin API, part by part, and refused in a currency PayPal pays', async () => {
    const db = hub.deps.db;
    const kwd = await aBilledCycle(db, { currency: 'KWD', excl: '20.125' });
    const part = await call(`${hub.url}/admin/statements/${kwd.payeeStatement}/payments`, { method: 'POST', headers: admin(), body: { amount: '1.000', reference: 'QW-KWD-PART' } });
    expect(part.status).toBe(200);
    expect(part.body.data.account).toMatchObject({ direction: 'hub_pays', paid: '1.000' });
    const again = await call(`${hub.url}/admin/statements/${kwd.payeeStatement}/payments`, { method: 'POST', headers: admin(), body: { amount: '1.000', reference: 'QW-KWD-PART' } });
    expect(again.body.data.duplicate).toBe(true);

    const eur = await aBilledCycle(db);
    const refused = await call(`${hub.url}/admin/statements/${eur.payeeStatement}/payments`, { method: 'POST', headers: admin(), body: { amount: '1.00', reference: 'QW-EUR-OUT' } });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/PayPal Payouts/);
    expect(await db('billing_payments').where({ statement_id: eur.payeeStatement })).toEqual([]);
    const b = new Browserish(hub.url);
    await b.login(await aUser(db, null));
    expect((await b.request(`/portal/statements/${eur.payeeStatement}`)).text).not.toContain('bank transfer</h2>');
  });
});
