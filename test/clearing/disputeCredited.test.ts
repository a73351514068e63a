// A CDR the CPO has already credited (a credit CDR reverses it) cannot be credited a second time
// through a dispute: while its cycle is open, suspending it would leave the credit standing on its
// own (the eMSP paid nothing for the CDR and got its value back); after the cycle closed, upholding
// the dispute would book a second reversal. A dispute opened before the credit arrived is upheld
// without another reversal: the credit already gave the eMSP its money back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs, type BookingRow } from '../../src/clearing/booking.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency and years of its own: no other test clears MXN.
const CURRENCY = 'MXN';

beforeAll(() => {
  db = clearingDb(5);
});

afterAll(async () => {
  await db.destroy();
});

async function aCreditedCdr(period: string) {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'DE');
  await anAgreement(db, cpo, emsp, { valid_from: '2080-01-01T00:00:00Z', currencies: [CURRENCY], fee_payer: 'SPLIT' });
  const original = aCdr(cpo, { currency: CURRENCY, excl: '20.0000', end: `${period}-05T12:00:00Z` });
  const credit = aCdr(cpo, { id: `${original.id}-CR`, currency: CURRENCY, excl: '-20.0000', incl: '-24.2000', end: `${period}-06T12:00:00Z`, credit: { of: original.id } });
  return { cpo, emsp, original, credit };
}

const bookingOf = (cpo: string, cdrId: string): Promise<BookingRow> => db('clearing_bookings').where({ ...parsePartyRef(cpo), cdr_id: cdrId }).first();

async function netted(period: string) {
  const cycles = await openCycles(db, period, CURRENCY);
  await closeCycles(db, cycles.map((c) => c.id));
  await netCycles(db, cycles.map((c) => c.id));
  return cycles[0];
}

async function ledgerSound() {
  expect(await unbalancedEntries(db)).toEqual([]);
  expect((await ledgerTotals(db)).get(CURRENCY) ?? 0n).toBe(0n);
}

describe('disputing a CDR its CPO already credited', () => {
  it('is refused while the cycle is open, so the credit and the CDR still cancel out in netting', async () => {
    const period = '2081-03';
    const { cpo, emsp, original, credit } = await aCreditedCdr(period);
    await bookCdrs(db, [cdrMessage(original, emsp), cdrMessage(credit, emsp)]);
    expect((await bookingOf(cpo, credit.id)).status).toBe('booked');
    await expect(openDispute(db, { cdr: { ...parsePartyRef(cpo), id: original.id }, opened_by: emsp, reason: 'never charged' }, { now: new Date(`${period}-07T00:00:00Z`) })).rejects.toThrow(/credit/);
    expect((await bookingOf(cpo, original.id)).status).toBe('booked');
    const cycle = await netted(period);
    const positions: { party: string; net: string }[] = await db('clearing_positions').where({ cycle_id: cycle.id });
    for (const p of positions.filter((x) => x.party === cpo || x.party === emsp)) expect([p.party, p.net]).toEqual([p.party, '0']);
    await ledgerSound();
  });

  it('is refused after the cycle closed, instead of failing when upheld', async () => {
    const period = '2082-03';
    const { cpo, emsp, original, credit } = await aCreditedCdr(period);
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    await netted(period);
    await bookCdrs(db, [cdrMessage(credit, emsp)]);
    expect((await bookingOf(cpo, credit.id)).status).toBe('booked');
    await expect(openDispute(db, { cdr: { ...parsePartyRef(cpo), id: original.id }, opened_by: 'hub', reason: 'double charge' })).rejects.toThrow(/credit/);
  });

  it('opened before the credit arrived (cycle closed), is upheld without a second reversal', async () => {
    const period = '2083-03';
    const { cpo, emsp, original, credit } = await aCreditedCdr(period);
    await bookCdrs(db, [cdrMessage(original, emsp)]);
    await netted(period);
    const dispute = await openDispute(db, { cdr: { ...parsePartyRef(cpo), id: original.id }, opened_by: 'hub', reason: 'double charge' });
    expect(dispute.suspended).toBe(false);
    await bookCdrs(db, [cdrMessage(credit, emsp)]);
    const resolved = await resolveDispute(db, dispute.id, 'upheld', 'test', 'the CPO credited it', { now: new Date(`${nextPeriod(period)}-10T00:00:00Z`) });
    expect(resolved).toMatchObject({ status: 'upheld', adjustment_booking_id: null, refund: null });
    const reversals = await db('clearing_bookings').where({ reverses_booking_id: (await bookingOf(cpo, original.id)).id });
    expect(reversals.map((r) => r.kind)).toEqual(['credit']);
    // The next cycle carries the credit alone: the eMSP gets back what it paid, once.
    const next = await netted(nextPeriod(period));
    const emspPosition = await db('clearing_positions').where({ cycle_id: next.id, party: emsp }).first();
    const o = await bookingOf(cpo, original.id);
    expect(BigInt(emspPosition.net) - BigInt(emspPosition.carried_in)).toBe(BigInt(o.amount) + BigInt(o.fee_emsp));
    await ledgerSound();
  });
});
