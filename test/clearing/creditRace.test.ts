// A credit CDR and its original booked by two bookers at once (the interleaving the workload
// property found, forced here): the credit's transaction looks its original up before the
// original's booker commits, so it holds the credit as original_unknown; the original's booker
// looks for waiting credits before the held credit is committed. The credit must still end up
// reversing its original, and a held credit whose original is booked is released on redelivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs, type BookingRow } from '../../src/clearing/booking.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { unbalancedEntries } from '../../src/clearing/ledger.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;

beforeAll(() => {
  db = clearingDb(5);
});

afterAll(async () => {
  await db.destroy();
});

async function aPairWithCredit(day: string) {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP']);
  await anAgreement(db, cpo, emsp, { valid_from: '2030-01-01T00:00:00Z' });
  const original = aCdr(cpo, { end: `2039-03-${day}T12:00:00Z` });
  const credit = aCdr(cpo, { id: `${original.id}-CR`, excl: `-${original.total_cost.excl_vat}`, incl: `-${original.total_cost.incl_vat}`, end: original.end_date_time, credit: { of: original.id } });
  return { cpo, emsp, original, credit };
}

const bookingOf = (cpo: string, cdrId: string): Promise<BookingRow> =>
  db('clearing_bookings').where({ ...parsePartyRef(cpo), cdr_id: cdrId }).first();

/** A held credit row as the race left it (original_unknown), inserted by `executor`. */
const heldCreditRow = (cpo: string, emsp: string, credit: ReturnType<typeof aCdr>) => ({
  ...parsePartyRef(cpo),
  cdr_id: credit.id,
  kind: 'credit',
  cpo,
  emsp,
  currency: credit.currency,
  amount: '-1',
  amount_excl_vat: '-1',
  end_date_time: credit.end_date_time,
  status: 'held',
  hold_reason: 'original_unknown',
  credit_reference_id: credit.credit_reference_id,
});

async function expectReversed(cpo: string, original: { id: string }, credit: { id: string }) {
  const o = await bookingOf(cpo, original.id);
  const c = await bookingOf(cpo, credit.id);
  expect(o.status).toBe('booked');
  expect(c).toMatchObject({ status: 'booked', hold_reason: null, reverses_booking_id: o.id });
  expect(BigInt(c.amount)).toBe(-BigInt(o.amount));
  const entries = await db('ledger_entries').whereIn('booking_id', [o.id, c.id]).where({ kind: 'booking' });
  expect(entries).toHaveLength(2);
  expect(String(entries.find((e) => String(e.booking_id) === String(c.id)).reverses_entry_id)).toBe(String(entries.find((e) => String(e.booking_id) === String(o.id)).id));
  expect(await unbalancedEntries(db)).toEqual([]);
}

describe('a credit CDR booked concurrently with its original', () => {
  it('reverses the original even when each booker misses the other', async () => {
    const { cpo, emsp, original, credit } = await aPairWithCredit('10');
    // An uncommitted row on the credit's key: the credit's booker looks its original up (not there
    // yet), then waits on this key at its insert, until the original's booker has committed and checked.
    const blocker = await db.transaction();
    try {
      await blocker('clearing_bookings').insert({ ...heldCreditRow(cpo, emsp, credit), hold_reason: 'test: blocks the key' });
      const { rows } = await blocker.raw('SELECT pg_backend_pid() AS pid');
      const creditBooking = bookCdrs(db, [cdrMessage(credit, emsp)]);
      for (let i = 0; ; i++) {
        const waiting = await db.raw('SELECT pid FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))', [rows[0].pid]);
        if (waiting.rows.length) break;
        if (i > 500) throw new Error('the credit booker never waited on the blocked key');
        await new Promise((r) => setTimeout(r, 10));
      }
      const [bookedOriginal] = await bookCdrs(db, [cdrMessage(original, emsp)]);
      expect(bookedOriginal.outcome).toBe('booked');
      await blocker.rollback();
      const [result] = await creditBooking;
      expect(result.outcome).toBe('booked');
    } finally {
      if (!blocker.isCompleted()) await blocker.rollback();
    }
    await expectReversed(cpo, original, credit);
  });

  it('releases a held credit whose original is booked when the credit is redelivered', async () => {
    const { cpo, emsp, original, credit } = await aPairWithCredit('11');
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    await db('clearing_bookings').insert(heldCreditRow(cpo, emsp, credit)); // as a lost race left it
    const [result] = await bookCdrs(db, [cdrMessage(credit, emsp)]);
    expect(result.outcome).toBe('duplicate');
    await expectReversed(cpo, original, credit);
  });

  it('a credit held while its original was disputed reverses it once the dispute is rejected', async () => {
    const { cpo, emsp, original, credit } = await aPairWithCredit('12');
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    const dispute = await openDispute(db, { cdr: { ...parsePartyRef(cpo), id: original.id }, opened_by: emsp, reason: 'kWh look high' }, { operator: true });
    const [held] = await bookCdrs(db, [cdrMessage(credit, emsp)]);
    expect(held.outcome).toBe('held');
    expect(await bookingOf(cpo, credit.id)).toMatchObject({ status: 'held', hold_reason: 'original_disputed' });
    await resolveDispute(db, dispute.id, 'rejected', 'test');
    await expectReversed(cpo, original, credit);
  });
});
