// A dispute opened while its CDR's cycle is being closed and netted: the dispute decides whether
// to suspend the CDR from the cycle's state, and must decide on the state the cycle really has
// when the CDR leaves it. Forced interleaving: the dispute waits for the booking row (another
// transaction holds it) after it started reading, the cycle is closed and netted meanwhile with
// the CDR in it, then the dispute goes on. Suspending the CDR now would take out of the ledger's
// receivable what the netted cycle already charged, and a rejection would book it again in the
// next cycle: the eMSP would pay it twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency of its own: no other test clears NZD.
const CURRENCY = 'NZD';

beforeAll(() => {
  db = clearingDb(6);
});

afterAll(async () => {
  await db.destroy();
});

describe('a dispute racing the close of its cycle', () => {
  it('does not suspend a CDR the cycle netted meanwhile', async () => {
    const period = '2086-07';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'IT');
    await anAgreement(db, cpo, emsp, { valid_from: '2086-01-01T00:00:00Z', currencies: [CURRENCY] });
    const cdr = aCdr(cpo, { currency: CURRENCY, excl: '30.0000', end: `${period}-09T10:00:00Z` });
    await bookCdrs(db, [cdrMessage(cdr, emsp)]);
    const [cycle] = await openCycles(db, period, CURRENCY);

    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const holder = db.transaction(async (trx) => {
      await trx('clearing_bookings').where({ cdr_id: cdr.id }).forUpdate().first('id');
      locked();
      await released;
    });
    await holding;
    const dispute = openDispute(db, { cdr: { ...parsePartyRef(cpo), id: cdr.id }, opened_by: 'hub', reason: 'racing the close' });
    // Let the dispute's statement start and wait for the booking row.
    await new Promise((r) => setTimeout(r, 300));
    await closeCycles(db, [cycle.id]);
    await netCycles(db, [cycle.id]);
    release();
    await holder;
    const opened = await dispute;

    const pair = await db('clearing_pairs').where({ cycle_id: cycle.id, cpo, emsp }).first();
    expect(Number(pair.cdr_count)).toBe(1);
    // The netted cycle charged the CDR: the dispute leaves it there (reversed in a later cycle if upheld).
    expect(opened.suspended).toBe(false);
    expect((await db('clearing_bookings').where({ cdr_id: cdr.id }).first()).status).toBe('booked');
    await resolveDispute(db, opened.id, 'rejected', 'test');
    expect((await db('clearing_bookings').where({ cdr_id: cdr.id }).first()).cycle_id).toBe(cycle.id);
  });
});
