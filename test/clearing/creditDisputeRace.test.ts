// A credit CDR booked while a dispute on its original is in flight (the interleaving forced: the
// dispute has checked that nothing reverses the CDR yet, then waits for its cycle row, which a close
// in progress holds). The credit must not reverse a CDR the dispute is taking out of clearing: the
// eMSP would get the CDR's value back twice (once through the credit, once by the suspension or
// the upheld dispute). It waits for the dispute and is then held until the dispute is resolved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency of its own: no other test books ILS.
const CURRENCY = 'ILS';

beforeAll(() => {
  db = clearingDb(6);
});

afterAll(async () => {
  await db.destroy();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a credit CDR racing a dispute on its original', () => {
  it('is held while the dispute suspends the original, and reverses it once the dispute is rejected', async () => {
    const period = '2091-04';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'AT');
    await anAgreement(db, cpo, emsp, { valid_from: '2091-01-01T00:00:00Z', currencies: [CURRENCY] });
    const original = aCdr(cpo, { currency: CURRENCY, excl: '18.0000', end: `${period}-20T10:00:00Z` });
    const credit = aCdr(cpo, { id: `${original.id}-CR`, currency: CURRENCY, excl: '-18.0000', incl: '-21.7800', end: `${nextPeriod(period)}-02T10:00:00Z`, credit: { of: original.id } });
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    const cycleId = (await db('clearing_bookings').where({ cdr_id: original.id }).first('cycle_id')).cycle_id;

    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const holder = db.transaction(async (trx) => {
      await trx('clearing_cycles').where({ id: cycleId }).forUpdate().first('id');
      locked();
      await released;
    });
    await holding;
    const dispute = openDispute(db, { cdr: { ...parsePartyRef(cpo), id: original.id }, opened_by: emsp, reason: 'session never started' }, { now: new Date(`${period}-25T00:00:00Z`) });
    await pause(300);
    const booked = bookCdrs(db, [cdrMessage(credit, emsp)]);
    await pause(300);
    release();
    await holder;
    const opened = await dispute;
    await booked;

    const row = (id: string) => db('clearing_bookings').where({ cdr_id: id }).first();
    expect(opened.suspended).toBe(true);
    expect((await row(original.id)).status).toBe('disputed');
    expect(await row(credit.id)).toMatchObject({ status: 'held', hold_reason: 'original_disputed' });

    await resolveDispute(db, opened.id, 'rejected', 'test');
    expect((await row(original.id)).status).toBe('booked');
    expect(await row(credit.id)).toMatchObject({ status: 'booked', reverses_booking_id: (await row(original.id)).id });
  });
});
