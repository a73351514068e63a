// OCPI DateTimes are UTC with the `Z` optional: a CDR ending at 00:30 on the first of a month
// without the `Z` belongs to that month's cycle whatever time zone the hub's host runs in (here a
// host far east of UTC, where reading it as local time would put it in the month before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
const zone = process.env.TZ;
// A currency of its own: no other test books CAD.
const CURRENCY = 'CAD';

beforeAll(() => {
  db = clearingDb(3);
  process.env.TZ = 'Pacific/Auckland';
});

afterAll(async () => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
  await db.destroy();
});

describe('CDR date-times without Z', () => {
  it('are UTC: the CDR joins the cycle of its UTC month, with its UTC end stored', async () => {
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'ES');
    await anAgreement(db, cpo, emsp, { valid_from: '2088-01-01T00:00:00Z', currencies: [CURRENCY] });
    const cdr = { ...aCdr(cpo, { currency: CURRENCY, end: '2088-12-01T00:30:00Z' }), start_date_time: '2088-11-30T23:30:00', end_date_time: '2088-12-01T00:30:00' };
    const [result] = await bookCdrs(db, [cdrMessage(cdr, emsp)]);
    expect(result.outcome).toBe('booked');
    const row = await db('clearing_bookings as b').join('clearing_cycles as c', 'c.id', 'b.cycle_id').where('b.cdr_id', cdr.id).first('c.period', 'b.end_date_time', 'b.start_date_time');
    expect(row.period).toBe('2088-12');
    expect(new Date(row.end_date_time).toISOString()).toBe('2088-12-01T00:30:00.000Z');
    expect(new Date(row.start_date_time).toISOString()).toBe('2088-11-30T23:30:00.000Z');
  });
});
