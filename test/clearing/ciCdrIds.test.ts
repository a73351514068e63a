// A CDR id is a CiString: `CDR1` and `cdr1` name one CDR. The clearing house must credit the eMSP
// for a credit CDR naming its original in another case (not hold it as original_unknown), must not
// book one CDR twice when it reaches the stream under two spellings (hub cdrs import publishes
// straight to it), and must find a CDR's booking for a dispute whatever case the user types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs, type BookingRow } from '../../src/clearing/booking.ts';
import { openDispute, openDisputeOf } from '../../src/clearing/disputes.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency and a year of their own: no other test clears TRY.
const CURRENCY = 'TRY';

beforeAll(() => {
  db = clearingDb(5);
});

afterAll(async () => {
  await db.destroy();
});

async function aPair() {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'DE');
  await anAgreement(db, cpo, emsp, { valid_from: '2091-01-01T00:00:00Z', currencies: [CURRENCY] });
  return { cpo, emsp };
}

const bookingsOf = (cpo: string): Promise<BookingRow[]> => db('clearing_bookings').where(parsePartyRef(cpo)).orderBy('id');

describe('CDR ids in clearing are case-insensitive', () => {
  it('a credit CDR naming its booked original in another case reverses it', async () => {
    const { cpo, emsp } = await aPair();
    const original = aCdr(cpo, { id: 'TR-Cdr-Orig-1', currency: CURRENCY, excl: '20.0000', end: '2091-02-05T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    const credit = aCdr(cpo, { id: 'TR-CREDIT-1', currency: CURRENCY, excl: '-20.0000', incl: '-24.2000', end: '2091-02-06T12:00:00Z', credit: { of: 'tr-cdr-orig-1' } });
    const [result] = await bookCdrs(db, [cdrMessage(credit, emsp)]);
    expect(result.outcome).toBe('booked');
    const [booked, reversal] = await bookingsOf(cpo);
    expect(reversal.status).toBe('booked');
    expect(String(reversal.reverses_booking_id)).toBe(String(booked.id));
  });

  it('a credit CDR held before its original is released when the original arrives in another case', async () => {
    const { cpo, emsp } = await aPair();
    const credit = aCdr(cpo, { id: 'TR-CREDIT-2', currency: CURRENCY, excl: '-20.0000', incl: '-24.2000', end: '2091-02-06T12:00:00Z', credit: { of: 'TR-CDR-ORIG-2' } });
    expect((await bookCdrs(db, [cdrMessage(credit, emsp)]))[0]).toMatchObject({ outcome: 'held', holdReason: 'original_unknown' });
    const original = aCdr(cpo, { id: 'tr-cdr-orig-2', currency: CURRENCY, excl: '20.0000', end: '2091-02-05T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    const rows = await bookingsOf(cpo);
    const held = rows.find((r) => r.kind === 'credit')!;
    expect(held.status).toBe('booked');
    expect(String(held.reverses_booking_id)).toBe(String(rows.find((r) => r.kind === 'cdr')!.id));
  });

  it('a CDR published again under another spelling is booked once', async () => {
    const { cpo, emsp } = await aPair();
    const first = aCdr(cpo, { id: 'TR-Twice-1', currency: CURRENCY, excl: '10.0000', end: '2091-02-07T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(first, emsp)]);
    const [again] = await bookCdrs(db, [cdrMessage({ ...first, id: 'tr-twice-1' }, emsp)]);
    expect(again).toMatchObject({ outcome: 'duplicate' });
    // Both spellings in one batch, too.
    const other = aCdr(cpo, { id: 'TR-Twice-2', currency: CURRENCY, excl: '10.0000', end: '2091-02-07T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(other, emsp), cdrMessage({ ...other, id: 'TR-TWICE-2' }, emsp)]);
    expect((await bookingsOf(cpo)).map((r) => r.cdr_id)).toEqual(['TR-Twice-1', 'TR-Twice-2']);
  });

  it('a dispute on a CDR is opened and found by its id in another case', async () => {
    const { cpo, emsp } = await aPair();
    const cdr = aCdr(cpo, { id: 'TR-Disp-1', currency: CURRENCY, excl: '10.0000', end: '2091-02-08T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(cdr, emsp)]);
    const typed = { ...parsePartyRef(cpo), id: 'tr-disp-1' };
    const dispute = await openDispute(db, { cdr: typed, opened_by: 'hub', reason: 'typed in lower case' });
    expect(dispute.status).toBe('open');
    expect((await openDisputeOf(db, { ...typed, id: 'TR-DISP-1' }))?.id).toBe(dispute.id);
  });
});
