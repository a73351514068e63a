// A CDR id is a CiString: the portal's CDR page found the CDR by its id in any case (the hub's
// copy is keyed so), but looked its booking up by the id as typed, so a link or URL in another
// case showed the CDR "not booked" and offered no dispute, and the dispute form refused it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage } from '../clearing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;
// A currency of its own: no other test clears INR.
const CURRENCY = 'INR';

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

describe('the CDR page by an id in another case', () => {
  it('shows the booking and takes a dispute', async () => {
    const db = hub.deps.db;
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await anAgreement(db, cpo, emsp, { valid_from: '2020-01-01T00:00:00Z', currencies: [CURRENCY] });
    // Ended yesterday: within the dispute window.
    const cdr = aCdr(cpo, { id: 'PC-Case-Cdr-1', currency: CURRENCY, excl: '10.0000', end: new Date(Date.now() - 86_400_000).toISOString() });
    const { country_code, party_id } = parsePartyRef(cpo);
    await db('cdrs').insert({ country_code, party_id, cdr_id: cdr.id, data: JSON.stringify(cdr), content_hash: cdr.id, receiver: emsp, routing: 'direct', last_updated: cdr.end_date_time });
    expect((await bookCdrs(db, [cdrMessage(cdr, emsp)]))[0].outcome).toBe('booked');

    const b = new Browserish(hub.url);
    await b.login(await aUser(db, emsp));
    const path = `/portal/cdrs/${country_code}/${party_id}/pc-case-cdr-1`;
    const page = await b.request(path);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('not booked');
    expect(page.text).toContain('Open a dispute');

    const opened = await b.post(`${path}/dispute`, { as: emsp, reason: 'the session never started' }, path);
    expect(opened.status).toBe(303);
    const booking = await db('clearing_bookings').where({ country_code, party_id, cdr_id: cdr.id }).first('id', 'status');
    expect(await db('clearing_disputes').where({ booking_id: booking.id, status: 'open' })).toHaveLength(1);
  });
});
