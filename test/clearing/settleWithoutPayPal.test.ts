// `hub clearing settle` on a hub with no PayPal account configured: cycles in currencies PayPal
// does not take settle by bank transfer without it; a selected cycle that settles through PayPal
// makes the run refuse, naming the variables to set, before anything is settled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, getCycle, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, statementId } from '../../src/clearing/statements.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { runHub } from '../support/cli.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

// A month no other test clears.
const PERIOD = '2137-04';
let db: Db;

beforeAll(() => {
  db = clearingDb();
});

afterAll(async () => {
  await db.destroy();
});

async function hub(...args: string[]) {
  const run = await runHub({}, ...args);
  let json: any;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  return { ...run, json };
}

async function aNettedMonth(currency: string) {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'BE');
  await anAgreement(db, cpo, emsp, { currencies: [currency], fee_payer: 'SPLIT' });
  for (const p of [cpo, emsp]) await setPayee(db, p, `${p.toLowerCase()}@np.example`, { actor: 'test' });
  const cdrs = ['25.000', '7.125'].map((e, i) => aCdr(cpo, { currency, excl: e, end: `${PERIOD}-${String(10 + i).padStart(2, '0')}T12:00:00Z` }));
  await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));
  const [cycle] = await openCycles(db, PERIOD, currency);
  await closeCycles(db, [cycle.id]);
  await netCycles(db, [cycle.id]);
  await generateStatements(db, [cycle.id], { name: 'Test Hub', party: 'NL-HUB' });
  return { cycleId: cycle.id, payer: statementId({ period: PERIOD, currency }, emsp) };
}

describe('settling with no PayPal configured', () => {
  it('settles bank-transfer cycles, and refuses naming the missing variables once a PayPal cycle is selected', async () => {
    const bhd = await aNettedMonth('BHD');
    const settled = await hub('clearing', 'settle', '--period', PERIOD);
    expect(settled.stderr).not.toMatch(/PAYPAL_CLIENT_ID/);
    expect(settled.code).toBe(0);
    expect(settled.json).toEqual([expect.objectContaining({ cycle: bhd.cycleId, state: 'settling', orders_created: 0, errors: [] })]);
    expect(settled.json[0].outside_paypal.statements.map((s: any) => s.state)).toEqual(['awaiting_bank_transfer', 'awaiting_bank_transfer']);

    const eur = await aNettedMonth('EUR');
    const refused = await hub('clearing', 'settle', '--period', PERIOD);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`${PERIOD} EUR.*PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET`));
    // Refused before anything was settled: the EUR cycle is still only netted, without payments.
    expect((await getCycle(db, eur.cycleId)).state).toBe('netted');
    expect(await db('clearing_payments').where({ cycle_id: eur.cycleId })).toEqual([]);

    // The bank-transfer cycle alone still settles.
    const again = await hub('clearing', 'settle', '--cycle', bhd.cycleId);
    expect(again.code).toBe(0);
  }, 120_000);
});
