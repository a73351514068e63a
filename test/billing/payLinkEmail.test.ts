// A payer's PayPal order expires uncaptured and settlement replaces it: the billing contacts who
// were emailed the statement (with the now dead link) get one email with the new link per
// replacement, through the billing outbox; not a removed contact, not for a statement never emailed,
// and a party without contacts is recorded once and its next contact gets the new link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { addContact, listContacts, removeContact } from '../../src/billing/contacts.ts';
import { billingTick } from '../../src/billing/reminders.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { clearingConfig } from '../clearing/support.ts';
import { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle, aFuturePeriod, settle, type BilledCycle } from './support.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';

let deps: HubDeps;
let sink: SmtpSink;
let standIn: PayPalStandIn;
// A billing tick sends every queued message of its database: other files' mail must not be ours.
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('paylinkmail');
  sink = await new SmtpSink().start();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  deps = await buildDeps(clearingConfig({ ...ns.env, SMTP_URL: sink.url, MAIL_FROM: 'Test Hub billing <billing@hub.example>' }), createLogger({ level: 'silent' }), 'billing-pay-link');
});

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await standIn?.stop();
  await sink?.stop();
  await ns?.drop();
});

const mails = (to: string, id: string, kind: string) => sink.to(to).filter((m) => m.headers.get('x-hub-statement') === id && m.headers.get('x-hub-message-kind') === kind);
const payLink = async (id: string): Promise<string> => (await deps.db('clearing_statements').where({ id }).first('approval_url')).approval_url;

/** PayPal expires the payer's order and the next settle run replaces it; returns the new link. */
async function expireAndReplace(cycle: BilledCycle): Promise<string> {
  const before = await payLink(cycle.payerStatement);
  const { order_id } = await deps.db('clearing_payments').where({ statement_id: cycle.payerStatement, direction: 'collect' }).first('order_id');
  standIn.expire(order_id);
  const [report] = await settle(deps.db, standIn, cycle);
  expect(report.orders_renewed).toEqual([expect.objectContaining({ statement: cycle.payerStatement })]);
  const after = await payLink(cycle.payerStatement);
  expect(after).not.toBe(before);
  return after;
}

describe('a replaced PayPal order of an emailed statement', () => {
  it('sends each billing contact emailed before the new link once per replacement', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const id = cycle.payerStatement;
    const [kept, removed] = ['qw-ap@payer-link.example', 'qw-gone@payer-link.example'];
    for (const email of [kept, removed]) await addContact(db, { party: cycle.emsp, email, actor: 'test' });
    await settle(db, standIn, cycle);
    const first = await payLink(id);
    await billingTick(deps);
    for (const email of [kept, removed]) expect(mails(email, id, 'statement')[0].text).toContain(`Pay with PayPal: ${first}`);

    const gone = (await listContacts(db, [cycle.emsp])).find((c) => c.email === removed)!;
    await removeContact(db, { party: cycle.emsp, id: gone.id, actor: 'test' });
    const second = await expireAndReplace(cycle);
    const tick = await billingTick(deps);
    expect(mails(kept, id, 'pay_link')).toHaveLength(1);
    expect(tick.pay_links).toEqual({ queued: 1, no_contacts: 0 });
    const [notice] = mails(kept, id, 'pay_link');
    expect(notice.subject).toContain(id);
    expect(notice.text).toContain(`Pay with PayPal using the new link: ${second}`);
    expect(notice.text).not.toContain(first);
    expect(mails(removed, id, 'pay_link')).toHaveLength(0);
    // Not again on later ticks, and the statement itself is not resent.
    await billingTick(deps);
    await billingTick(deps);
    expect(mails(kept, id, 'pay_link')).toHaveLength(1);
    expect(mails(kept, id, 'statement')).toHaveLength(1);

    // Expired again: one more email, with the third link.
    const third = await expireAndReplace(cycle);
    await billingTick(deps);
    await billingTick(deps);
    const notices = mails(kept, id, 'pay_link');
    expect(notices).toHaveLength(2);
    expect(notices[1].text).toContain(`Pay with PayPal using the new link: ${third}`);
  }, 60_000);

  it('sends nothing extra for a statement never emailed: its statement email carries the new link', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const id = cycle.payerStatement;
    await settle(db, standIn, cycle);
    await billingTick(deps); // no contacts yet: nothing emailed
    const link = await expireAndReplace(cycle);
    const contact = 'qw-late@payer-link.example';
    await addContact(db, { party: cycle.emsp, email: contact, actor: 'test' });
    const tick = await billingTick(deps);
    expect(tick.pay_links).toEqual({ queued: 0, no_contacts: 0 });
    await billingTick(deps);
    expect(mails(contact, id, 'statement')).toHaveLength(1);
    expect(mails(contact, id, 'statement')[0].text).toContain(`Pay with PayPal: ${link}`);
    expect(mails(contact, id, 'pay_link')).toHaveLength(0);
  }, 60_000);

  it('is recorded once when the party has no billing contacts left, and reaches a contact added later', async () => {
    const db = deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    const id = cycle.payerStatement;
    const only = 'qw-only@payer-link.example';
    await addContact(db, { party: cycle.emsp, email: only, actor: 'test' });
    await settle(db, standIn, cycle);
    await billingTick(deps);
    expect(mails(only, id, 'statement')).toHaveLength(1);
    await removeContact(db, { party: cycle.emsp, id: (await listContacts(db, [cycle.emsp]))[0].id, actor: 'test' });
    const link = await expireAndReplace(cycle);

    expect((await billingTick(deps)).pay_links).toEqual({ queued: 0, no_contacts: 1 });
    expect((await billingTick(deps)).pay_links).toEqual({ queued: 0, no_contacts: 0 });
    expect(await db('audit_log').where({ action: 'billing.pay_link.no_contacts', subject: id })).toHaveLength(1);

    // Issued 40 days ago: a contact added now is past the statement email window, so only the new link reaches it.
    await db('billing_statements').where({ statement_id: id }).update({ issued_at: new Date(Date.now() - 40 * 86_400_000) });
    const later = 'qw-later@payer-link.example';
    await addContact(db, { party: cycle.emsp, email: later, actor: 'test' });
    expect((await billingTick(deps)).pay_links).toEqual({ queued: 1, no_contacts: 0 });
    expect(mails(later, id, 'pay_link')[0].text).toContain(`Pay with PayPal using the new link: ${link}`);
    expect(mails(later, id, 'statement')).toHaveLength(0);
  }, 60_000);
});
