// The operator sees on a statement's page that a reminder reached nobody (the party had no billing
// contacts when it came due), not that it was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
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

describe('a reminder that reached nobody', () => {
  it('says so on the statement page', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { cdrs: 1 });
    // As runReminders records it (test/billing/reminderNoContacts.test.ts runs the tick itself).
    await db('billing_reminders').insert({ statement_id: cycle.payerStatement, step: 'reminder-1', days_after_due: 3, outcome: 'no_contacts' });
    const b = new Browserish(hub.url);
    await b.login(await aUser(db, null));
    const page = await b.request(`/portal/statements/${cycle.payerStatement}`);
    expect(page.text).toContain('reminder-1 (3 days after due) not sent: no billing contacts');
  });
});
