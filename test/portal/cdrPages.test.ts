// The CDR and dispute lists page through all of a partner's CDRs and disputes, newest first, and
// only through its own: a CPO with more CDRs than fit on a page reaches the older ones (to dispute
// one within the window).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aParty } from '../clearing/support.ts';
import { aBilledCycle, aFuturePeriod } from '../billing/support.ts';
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

async function someCdrs(cpo: string, emsp: string, count: number, prefix: string) {
  const { country_code, party_id } = parsePartyRef(cpo);
  const start = Date.parse('2026-10-01T00:00:00Z');
  const rows = Array.from({ length: count }, (_, i) => {
    const end = new Date(start + i * 60_000).toISOString();
    const id = `${prefix}${String(i).padStart(4, '0')}`;
    // Every other CDR gives no total incl. VAT (OCPI makes it optional).
    const total_cost = i % 2 ? { excl_vat: '1.00' } : { excl_vat: '1.00', incl_vat: '1.21' };
    return { country_code, party_id, cdr_id: id, data: JSON.stringify({ id, end_date_time: end, currency: 'EUR', total_cost }), content_hash: id, receiver: emsp, routing: 'direct', last_updated: end };
  });
  await hub.deps.db('cdrs').insert(rows);
  return rows.map((r) => r.cdr_id);
}

const listed = (page: string) => [...page.matchAll(/<tr><td><a href="\/portal\/cdrs\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

describe('the CDR list', () => {
  it('pages through every CDR of the partner, newest first, and no other party’s', async () => {
    const db = hub.deps.db;
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    const strangerCpo = await aParty(db, ['CPO']);
    const mine = await someCdrs(cpo, emsp, 205, 'QPCDR');
    const theirs = await someCdrs(strangerCpo, emsp, 3, 'QQCDR');

    const b = new Browserish(hub.url);
    await b.login(await aUser(db, cpo));
    const seen: string[] = [];
    let path: string | undefined = '/portal/cdrs';
    for (let pages = 0; path && pages < 5; pages++) {
      const page = await b.request(path);
      expect(page.status).toBe(200);
      seen.push(...listed(page.text));
      path = /<a href="([^"]+)" rel="next">Older CDRs<\/a>/.exec(page.text)?.[1].replace(/&amp;/g, '&');
    }
    expect(seen).toEqual([...mine].reverse());
    for (const id of theirs) expect(seen).not.toContain(id);
    // The "Total (incl. VAT)" column never passes an amount excl. VAT off as one incl. VAT.
    const first = await b.request('/portal/cdrs');
    expect(first.text).toContain(`${mine[204]}</a></td><td>${cpo}</td><td class="hide-sm">${emsp}</td><td>2026-10-01 03:24 UTC</td><td class="num">1.21 EUR</td>`);
    expect(first.text).toContain(`${mine[203]}</a></td><td>${cpo}</td><td class="hide-sm">${emsp}</td><td>2026-10-01 03:23 UTC</td><td class="num">1.00 EUR <span class="muted">excl. VAT</span></td>`);

    // A cursor is only a position: it never opens another party's CDRs.
    const stranger = await db('cdrs').where({ cdr_id: theirs[2] }).first('seq');
    const tampered = await b.request(`/portal/cdrs?before=${Number(stranger.seq) + 1}`);
    for (const id of theirs) expect(tampered.text).not.toContain(id);
  });

  it('pages through every dispute of the partner, newest first', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod(), cdrs: 1 });
    const booking = await db('clearing_bookings').where({ cdr_id: cycle.cdrIds[0] }).first('id');
    const start = Date.parse('2026-10-01T00:00:00Z');
    const rows = Array.from({ length: 305 }, (_, i) => ({ booking_id: booking.id, opened_by: cycle.emsp, reason: `QP reason ${String(i).padStart(4, '0')}`, status: 'rejected', suspended: false, opened_at: new Date(start + i * 60_000), resolved_at: new Date(start + i * 60_000 + 1000) }));
    await db('clearing_disputes').insert(rows);

    const b = new Browserish(hub.url);
    await b.login(await aUser(db, cycle.emsp));
    const seen: string[] = [];
    let path: string | undefined = '/portal/disputes';
    for (let pages = 0; path && pages < 5; pages++) {
      const page = await b.request(path);
      expect(page.status).toBe(200);
      seen.push(...[...page.text.matchAll(/<td>(QP reason \d{4})<\/td>/g)].map((m) => m[1]));
      path = /<a href="([^"]+)" rel="next">Older disputes<\/a>/.exec(page.text)?.[1].replace(/&amp;/g, '&');
    }
    expect(seen).toEqual(rows.map((r) => r.reason).reverse());
  });
});
