// OCPI gives a CDR id 39 characters, not the usual 36, so that a credit CDR can append to its
// original's id: a credit of a 36-character id, named CR-<id>, must be booked and reverse its
// original, not be taken for a malformed CDR and dropped (the eMSP would never get its money back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs, type BookingRow } from '../../src/clearing/booking.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency and years of their own: no other test clears ZAR.
const CURRENCY = 'ZAR';

beforeAll(() => {
  db = clearingDb(5);
});

afterAll(async () => {
  await db.destroy();
});

describe('a credit CDR with a 39-character id', () => {
  it('is booked and reverses its original', async () => {
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'DE');
    await anAgreement(db, cpo, emsp, { valid_from: '2090-01-01T00:00:00Z', currencies: [CURRENCY] });
    const originalId = `ID36-${'0'.repeat(31)}`;
    const original = aCdr(cpo, { id: originalId, currency: CURRENCY, excl: '20.0000', end: '2090-03-05T12:00:00Z' });
    const credit = aCdr(cpo, { id: `CR-${originalId}`, currency: CURRENCY, excl: '-20.0000', incl: '-24.2000', end: '2090-03-06T12:00:00Z', credit: { of: originalId } });
    expect([original.id.length, credit.id.length]).toEqual([36, 39]);

    await bookCdrs(db, [cdrMessage(original, emsp), cdrMessage(credit, emsp)]);
    const bookingOf = (id: string): Promise<BookingRow & { reverses_booking_id: string | null }> => db('clearing_bookings').where({ ...parsePartyRef(cpo), cdr_id: id }).first();
    const [booked, reversal] = [await bookingOf(originalId), await bookingOf(credit.id)];
    expect(reversal?.status).toBe('booked');
    expect(String(reversal?.reverses_booking_id)).toBe(String(booked.id));
  });
});
