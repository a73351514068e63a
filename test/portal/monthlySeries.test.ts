// The overview's CDRs and revenue per month count each CDR in the UTC month it ended in, whatever
// time zone the Postgres server runs in (Debian's initdb takes the machine's own).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { bookCdr } from '../../src/clearing/booking.ts';
import { aCdr, aParty, anAgreement, cdrMessage } from '../clearing/support.ts';
import { monthlySeries } from '../../src/portal/pages/home.ts';
import { startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

describe('the overview charts', () => {
  it('count a CDR in the UTC month it ended in, on a server in another time zone', async () => {
    const db = hub.deps.db;
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await anAgreement(db, cpo, emsp, { valid_from: '2000-01-01T00:00:00Z' });
    // 12:00 UTC on 31 March is already 1 April in Auckland (UTC+13 then).
    await bookCdr(db, cdrMessage(aCdr(cpo, { end: '2043-03-31T12:00:00Z', excl: '10.00' }), emsp));
    await bookCdr(db, cdrMessage(aCdr(cpo, { end: '2043-04-02T12:00:00Z', excl: '10.00' }), emsp));
    const series = await db.transaction(async (trx) => {
      await trx.raw("SET LOCAL TIME ZONE 'Pacific/Auckland'");
      return monthlySeries(trx, [cpo]);
    });
    expect(series.months.map((m) => [m.month, m.cdrs])).toEqual([
      ['2043-03', 1],
      ['2043-04', 1],
    ]);
  });
});
