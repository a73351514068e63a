// The PayPal link a payer is offered: the order is for the statement's amount and the settlement
// run does not capture it once a bank transfer was recorded, so after a partial bank transfer the
// portal offers the bank transfer for the rest, not a PayPal payment that would never complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { bookLateFee, getAccount, recordBankTransfer } from '../../src/billing/tracking.ts';
import { toUnits } from '../../src/clearing/money.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { deliverPending, queueMessage } from '../../src/billing/mailer.ts';
import { aBilledCycle, aFuturePeriod, settle } from '../billing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;
let standIn: PayPalStandIn;

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
});

afterAll(async () => {
  await standIn?.stop();
  await hub?.stop();
  await sink?.stop();
});

const payButton = (page: string) => /<a class="button" href="([^"]+)" rel="noopener noreferrer">Pay ([^<]+) with PayPal<\/a>/.exec(page);

describe('the PayPal link on a statement', () => {
  it('is for the amount PayPal will take, and gives way to a bank transfer once part was paid that way', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    await settle(db, standIn, cycle);
    const id = cycle.payerStatement;
    const start = await getAccount(db, id);
    expect(start.pay_url).toMatch(/checkoutnow\?token=/);

    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, cycle.emsp));
    const path = `/portal/statements/${id}`;
    expect(payButton((await partner.request(path)).text)?.[2]).toBe(`${start.amount_due} EUR`);

    // A late fee: PayPal's order is still for the statement's amount, and the button says so.
    await bookLateFee(db, id, toUnits('5.00'));
    const withFee = await getAccount(db, id);
    expect(withFee.balance).not.toBe(withFee.amount_due);
    expect(payButton((await partner.request(path)).text)?.[2]).toBe(`${start.amount_due} EUR`);
    // So does a reminder.
    await addContact(db, { party: cycle.emsp, email: 'qp.payer@emsp.example', actor: 'test' });
    const key = `reminder:${id}:qp-test:qp.payer@emsp.example`;
    await queueMessage(db, { dedupeKey: key, kind: 'reminder', recipient: 'qp.payer@emsp.example', subject: 'Payment reminder', statementId: id, party: cycle.emsp });
    await deliverPending(hub.deps, { only: [key] });
    const reminder = sink.to('qp.payer@emsp.example').at(-1)!;
    expect(reminder.text).toContain(`Open balance: ${withFee.balance} EUR (including a late fee of 5.00 EUR).`);
    expect(reminder.text).toContain(`Pay ${start.amount_due} EUR with PayPal: ${start.pay_url}; the late fee by bank transfer quoting ${id}`);

    // Part paid by bank transfer: the settlement run will not capture the PayPal order any more.
    await recordBankTransfer(db, { statementId: id, amount: '1.00', reference: 'QP-SEPA-1', actor: 'settlement' });
    const partly = await getAccount(db, id);
    expect(partly.pay_url).toBeNull();
    const page = (await partner.request(path)).text;
    expect(payButton(page)).toBeNull();
    expect(page).toContain(`Pay the balance of ${partly.balance} EUR by bank transfer quoting ${id}.`);
    expect(page).not.toContain('The PayPal link appears here once');
  });
});
