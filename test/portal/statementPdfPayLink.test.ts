// The statement PDF prints the PayPal link only while the portal offers it: once part of the
// statement was paid by bank transfer, PayPal's order is never captured, so the PDF (downloaded
// from the portal or attached to an email) no longer sends the payer there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { getAccount, recordBankTransfer } from '../../src/billing/tracking.ts';
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

// pdfkit writes a link as an uncompressed annotation naming its URI; the text itself is compressed.
const linksTo = (pdf: Buffer, url: string) => pdf.toString('latin1').includes(`/URI (${url})`);

describe('the PayPal link in the statement PDF', () => {
  it('is printed while nothing was paid, and not after a partial bank transfer', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    await settle(db, standIn, cycle);
    const id = cycle.payerStatement;
    const link = (await getAccount(db, id)).pay_url!;
    expect(link).toMatch(/checkoutnow\?token=/);

    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, cycle.emsp));
    const before = await partner.request(`/portal/statements/${id}/pdf`);
    expect(before.status).toBe(200);
    expect(linksTo(before.buffer, link)).toBe(true);

    await recordBankTransfer(db, { statementId: id, amount: '1.00', reference: 'QW-SEPA-PDF', actor: 'settlement' });
    expect((await getAccount(db, id)).pay_url).toBeNull();
    const after = await partner.request(`/portal/statements/${id}/pdf`);
    expect(after.status).toBe(200);
    expect(after.buffer.subarray(0, 5).toString()).toBe('%PDF-');
    expect(linksTo(after.buffer, link)).toBe(false);
  });
});
