// Statement delivery by email through a real local SMTP server: every billing contact gets the
// statement with PDF and CSV attached and, where the party owes money, the PayPal pay link; a
// temporary SMTP failure is retried; nothing is sent twice for a statement and recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact, removeContact } from '../../src/billing/contacts.ts';
import { billingTick } from '../../src/billing/reminders.ts';
import { getAccount, recordBankTransfer } from '../../src/billing/tracking.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { clearingConfig } from '../clearing/support.ts';
import { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle, aFuturePeriod, settle } from './support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

let deps: HubDeps;
let sink: SmtpSink;
let standIn: PayPalStandIn;
// A billing tick sends every queued message of its database: other files' mail must not be ours.
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('mail');
  sink = await new SmtpSink().start();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  deps = await buildDeps(clearingConfig({ ...ns.env, SMTP_URL: sink.url, MAIL_FROM: 'Test Hub billing <billing@hub.example>' }), createLogger({ level: 'silent' }), 'billing-mail');
});

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await standIn?.stop();
  await sink?.stop();
  await ns?.drop();
});

const statementMails = (to: string, id: string) => sink.to(to).filter((m) => m.headers.get('x-hub-statement') === id && m.headers.get('x-hub-message-kind') === 'statement');

describe('statement emails', () => {
  it('reach every billing contact with PDF, CSV and the pay link, once, retrying a temporary failure', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const payer = ['ap@emsp.example', 'Finance.Team@emsp.example'];
    for (const email of payer) await addContact(db, { party: cycle.emsp, email, actor: 'test' });
    await addContact(db, { party: cycle.cpo, email: 'billing@cpo.example', actor: 'test' });

    // Issued, not settled yet: the payee's email goes now; the payer's waits for its PayPal link.
    sink.fail(451); // the first SMTP delivery is refused for now
    let tick = await billingTick(deps, { deliver: { retryDelayMs: 1 } });
    expect(tick.delivery).toMatchObject({ sent: 0, retrying: 1 });
    tick = await billingTick(deps, { now: new Date(Date.now() + 1000), deliver: { retryDelayMs: 1 } });
    expect(tick.delivery.sent).toBe(1);
    expect(statementMails('billing@cpo.example', cycle.payeeStatement)).toHaveLength(1);
    expect(statementMails(payer[0], cycle.payerStatement)).toHaveLength(0);

    await settle(db, standIn, cycle);
    const { approval_url } = await db('clearing_statements').where({ id: cycle.payerStatement }).first('approval_url');
    expect(approval_url).toMatch(/^https:\/\/www\.sandbox\.paypal\.com\/checkoutnow\?token=/);
    await billingTick(deps);
    await billingTick(deps);

    for (const email of payer) {
      const mails = statementMails(email, cycle.payerStatement);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.subject).toContain(cycle.payerStatement);
      expect(mail.headers.get('from')).toContain('billing@hub.example');
      expect(mail.text).toContain(`Pay with PayPal: ${approval_url}`);
      expect(mail.text).toMatch(/Amount to pay: \d+\.\d{2} EUR, due \d{4}-\d{2}-\d{2}/);
      const names = mail.attachments.map((a) => a.filename).sort();
      expect(names).toEqual([`${cycle.payerStatement}.csv`, `${cycle.payerStatement}.pdf`]);
      const pdf = mail.attachments.find((a) => a.filename.endsWith('.pdf'))!;
      expect(pdf.contentType).toBe('application/pdf');
      expect(pdf.content.subarray(0, 5).toString()).toBe('%PDF-');
      const csv = mail.attachments.find((a) => a.filename.endsWith('.csv'))!.content.toString('utf8');
      expect(csv.split('\r\n').filter((l) => l.startsWith('"cdr"'))).toHaveLength(3);
      expect(csv).toContain(`"statement","${cycle.payerStatement}"`);
    }
    // The payee is paid by the hub: no pay link in its email.
    expect(statementMails('billing@cpo.example', cycle.payeeStatement)[0].text).toContain('The hub pays you');

    // Recorded: to, when, what, outcome; one row per statement and recipient.
    const rows = await db('billing_messages').whereIn('statement_id', [cycle.payerStatement, cycle.payeeStatement]).where({ kind: 'statement' }).orderBy('id');
    expect(rows.map((r) => [r.recipient, r.status])).toEqual(
      expect.arrayContaining([
        ['billing@cpo.example', 'sent'],
        ['ap@emsp.example', 'sent'],
        ['Finance.Team@emsp.example', 'sent'],
      ]),
    );
    expect(rows).toHaveLength(3);
    const retried = rows.find((r) => r.recipient === 'billing@cpo.example');
    expect(retried.attempts).toBe(2);
    expect(retried.sent_at).toBeInstanceOf(Date);
    expect(retried.attachments).toEqual([`${cycle.payeeStatement}.pdf`, `${cycle.payeeStatement}.csv`]);

    // A contact added under another spelling of an address already served gets nothing new.
    await expect(addContact(db, { party: cycle.emsp, email: 'ap@EMSP.example', actor: 'test' })).rejects.toThrow(/already/);
    await billingTick(deps);
    expect(statementMails(payer[0], cycle.payerStatement)).toHaveLength(1);
  });

  it('fails a message the server refuses permanently, and does not retry it', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    await addContact(db, { party: cycle.cpo, email: 'nobody@cpo.example', actor: 'test' });
    sink.fail(550);
    const tick = await billingTick(deps, { deliver: { retryDelayMs: 1 } });
    expect(tick.delivery.failed).toBeGreaterThanOrEqual(1);
    await billingTick(deps, { now: new Date(Date.now() + 60_000), deliver: { retryDelayMs: 1 } });
    const row = await db('billing_messages').where({ statement_id: cycle.payeeStatement, recipient: 'nobody@cpo.example' }).first();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.last_error).toMatch(/550/);
    expect(sink.to('nobody@cpo.example')).toHaveLength(0);
  });

  it('sends nothing to a contact removed while its email waited for a retry', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const gone = await addContact(db, { party: cycle.cpo, email: 'left.company@qp-cpo.example', actor: 'test' });
    await addContact(db, { party: cycle.cpo, email: 'stays@qp-cpo.example', actor: 'test' });
    sink.fail(451, 2); // both statement emails wait for a retry
    const first = await billingTick(deps, { deliver: { retryDelayMs: 1 } });
    expect(first.delivery.retrying).toBe(2);
    // The partner removes the contact (it left the company) before the retry.
    await removeContact(db, { party: cycle.cpo, id: gone.id, actor: 'portal:finance@qp-cpo.example' });
    await billingTick(deps, { now: new Date(Date.now() + 1000), deliver: { retryDelayMs: 1 } });
    expect(statementMails('stays@qp-cpo.example', cycle.payeeStatement)).toHaveLength(1);
    expect(statementMails('left.company@qp-cpo.example', cycle.payeeStatement)).toHaveLength(0);
    const row = await db('billing_messages').where({ statement_id: cycle.payeeStatement, recipient: 'left.company@qp-cpo.example' }).first();
    expect(row.status).toBe('cancelled');
    expect(row.last_error).toContain(`no longer a billing contact of ${cycle.cpo}`);
  });

  it('tells a payer still without a PayPal link how to pay', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    await addContact(db, { party: cycle.emsp, email: 'qp.nolink@emsp.example', actor: 'test' });
    // Not settled: after BILLING_PAYLINK_WAIT_HOURS the statement goes without a pay link.
    await billingTick(deps, { now: new Date(Date.now() + 25 * 3600_000) });
    const [mail] = statementMails('qp.nolink@emsp.example', cycle.payerStatement);
    expect(mail.text).toContain(`Pay by bank transfer quoting ${cycle.payerStatement}, or with PayPal once the link appears on the statement in the portal:`);
    expect(mail.text).not.toContain('Pay online from the portal');
  });

  it('tells a contact added after the statement was paid that nothing is left to pay', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const { amount_due } = await getAccount(db, cycle.payerStatement);
    await recordBankTransfer(db, { statementId: cycle.payerStatement, amount: amount_due, reference: 'QP-SEPA-PAID', actor: 'settlement' });
    // A new accounts-payable address, added after the payment, within the statement's mail window.
    await addContact(db, { party: cycle.emsp, email: 'qp.new.ap@emsp.example', actor: 'test' });
    await billingTick(deps, { now: new Date(Date.now() + 25 * 3600_000) });
    const [mail] = statementMails('qp.new.ap@emsp.example', cycle.payerStatement);
    expect(mail.text).toContain(`Amount: ${amount_due} EUR, paid: nothing to pay.`);
    expect(mail.text).not.toContain('Amount to pay');
    expect(mail.text).not.toContain('Pay by bank transfer');

    // Part paid: what is left.
    const partly = await aBilledCycle(db, { period: aFuturePeriod() });
    await recordBankTransfer(db, { statementId: partly.payerStatement, amount: '10.00', reference: 'QP-SEPA-PART', actor: 'settlement' });
    await addContact(db, { party: partly.emsp, email: 'qp.new.ap@emsp.example', actor: 'test' });
    await billingTick(deps, { now: new Date(Date.now() + 25 * 3600_000) });
    const left = await getAccount(db, partly.payerStatement);
    const [partial] = statementMails('qp.new.ap@emsp.example', partly.payerStatement);
    expect(partial.text).toContain(`Amount ${left.amount_due} EUR, received 10.00 EUR: left to pay ${left.balance} EUR, due ${left.due_date}, reference ${partly.payerStatement}.`);
  });

  it('sends a statement in a currency PayPal does not take at once, to be paid by bank transfer', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod(), currency: 'KWD' });
    await addContact(db, { party: cycle.emsp, email: 'qp.kwd@emsp.example', actor: 'test' });
    await addContact(db, { party: cycle.cpo, email: 'qp.kwd@cpo.example', actor: 'test' });
    // No PayPal link will ever come: the payer's email does not wait BILLING_PAYLINK_WAIT_HOURS for one.
    await billingTick(deps);
    const [payer] = statementMails('qp.kwd@emsp.example', cycle.payerStatement);
    expect(payer.text).toContain(`Pay by bank transfer quoting ${cycle.payerStatement} (PayPal does not take KWD).`);
    expect(payer.text).not.toMatch(/with PayPal/);
    const [payee] = statementMails('qp.kwd@cpo.example', cycle.payeeStatement);
    expect(payee.text).toMatch(/The hub pays you \d+\.\d{3} KWD by bank transfer\./);
  });
});
