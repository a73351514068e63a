// The statement list pages like the CDR and dispute lists: newest first, a page at a time, every
// statement once, also through a status filter (a status is computed, not stored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { syncStatements } from '../../src/billing/tracking.ts';
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

// More than two pages of 100 (STATEMENT_PAGE in src/portal/pages/statements.ts).
const COUNT = 230;

/** Copies of a real payer statement, each for a party of its own, issued a minute apart (two at once). */
async function someStatements(): Promise<{ id: string; party: string; issuedAt: number }[]> {
  const db = hub.deps.db;
  const cycle = await aBilledCycle(db, { cdrs: 1 });
  const model = await db('clearing_statements').where({ id: cycle.payerStatement }).first();
  const base = Date.parse('2001-02-03T04:05:00Z');
  const rows = Array.from({ length: COUNT }, (_, i) => {
    const party = `QW-${i.toString(36).toUpperCase().padStart(3, '0')}`;
    const issuedAt = base + (i === 1 ? 0 : i) * 60_000;
    return { id: `QWST-${String(i).padStart(4, '0')}`, party, issuedAt };
  });
  await db('clearing_statements').insert(rows.map((r) => ({ id: r.id, cycle_id: model.cycle_id, party: r.party, currency: model.currency, issued_at: new Date(r.issuedAt), due_date: model.due_date, content: model.content })));
  await syncStatements(db);
  return rows;
}

const listed = (page: string) => [...page.matchAll(/<tr><td><a href="\/portal\/statements\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]));

async function pageThrough(b: Browserish, first: string) {
  const seen: string[] = [];
  let pages = 0;
  for (let path: string | undefined = first; path && pages < 10; pages++) {
    const page = await b.request(path);
    expect(page.status).toBe(200);
    seen.push(...listed(page.text));
    path = /<a href="([^"]+)" rel="next">Older statements<\/a>/.exec(page.text)?.[1].replace(/&amp;/g, '&');
  }
  return { seen, pages };
}

describe('the statement list', () => {
  it('pages through every statement of the user, newest first, with and without a status filter', async () => {
    const db = hub.deps.db;
    const mine = await someStatements();
    // Every tenth written off (set directly: what is listed, not how it got there, is the subject).
    const writtenOff = mine.filter((_, i) => i % 10 === 0).map((r) => r.id);
    await db('billing_statements').whereIn('statement_id', writtenOff).update({ written_off_at: new Date(), written_off_by: 'test', write_off_note: 'QW' });
    // A user of all these parties only (they are no parties of the hub's, so linked directly).
    const email = await aUser(db, null);
    const user = await db('portal_users').where({ email }).first('id');
    await db('portal_users').where({ id: user.id }).update({ is_admin: false });
    await db('portal_user_parties').insert(mine.map((r) => ({ user_id: user.id, party: r.party })));
    const newestFirst = [...mine].sort((x, y) => y.issuedAt - x.issuedAt || x.id.localeCompare(y.id)).map((r) => r.id);

    const b = new Browserish(hub.url);
    await b.login(email);
    const all = await pageThrough(b, '/portal/statements');
    expect(all.pages).toBe(3);
    expect(all.seen).toEqual(newestFirst);

    const overdue = await pageThrough(b, '/portal/statements?status=overdue');
    expect(overdue.pages).toBe(3);
    expect(overdue.seen).toEqual(newestFirst.filter((id) => !writtenOff.includes(id)));
    const off = await pageThrough(b, '/portal/statements?status=written_off');
    expect(off.pages).toBe(1);
    expect(off.seen).toEqual(newestFirst.filter((id) => writtenOff.includes(id)));
  });
});
