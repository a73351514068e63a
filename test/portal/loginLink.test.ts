// Asking for a sign-in link sends that link at once and nothing else: the billing outbox (statements
// with their PDFs, reminders) is the worker's to send, not the anonymous request's to wait for; and
// the outbox keeps no copy of a link once sent.
// In a namespace of its own, so no other file's outbox is in play.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { addContact } from '../../src/billing/contacts.ts';
import { queueStatementEmails } from '../../src/billing/reminders.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { aBilledCycle, aFuturePeriod } from '../billing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;
let ns: OwnNamespace;

beforeAll(async () => {
  ns = await ownNamespace('portallink');
  ({ hub, sink } = await startPortalHub({ ...ns.env }));
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
  await ns?.drop();
});

describe('a sign-in link by email', () => {
  it('is sent right away, without sending the billing outbox from the request, and not kept once sent', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod() });
    for (const email of ['one@qp-cpo.example', 'two@qp-cpo.example', 'three@qp-cpo.example']) await addContact(db, { party: cycle.cpo, email, actor: 'test' });
    expect(await queueStatementEmails(hub.deps)).toBe(3);

    const email = await aUser(db, cycle.cpo, 'signin@qp-cpo.example');
    const b = new Browserish(hub.url);
    const asked = await b.request('/portal/login/link', { form: { _csrf: await b.csrf('/portal/login'), email } });
    expect(asked.status).toBe(303);
    expect(sink.to(email)).toHaveLength(1);
    expect(sink.to(email)[0].subject).toContain('sign-in link');
    // The link is a credential: once sent, the outbox keeps no copy of it.
    const token = /token=(\S+)/.exec(sink.to(email)[0].text)![1];
    const [sent] = await db('billing_messages').where({ kind: 'login_link', recipient: email });
    expect(sent.status).toBe('sent');
    expect(JSON.stringify(sent)).not.toContain(token);
    // The statements wait for the worker's billing tick.
    expect(sink.to('one@qp-cpo.example')).toHaveLength(0);
    const statements = await db('billing_messages').where({ kind: 'statement', statement_id: cycle.payeeStatement });
    expect(statements.map((m) => m.status)).toEqual(['pending', 'pending', 'pending']);
  });
});
