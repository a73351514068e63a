// Agreements without hub fees (fee_fixed and fee_percent default to 0): the hub has no position of
// its own in the cycle, yet rounding the partners' positions to the minor unit leaves a residue
// (two CPOs each owed x.xx60, their eMSP owing x.x120) that the hub, as central counterparty,
// must absorb and carry forward. Netting such a cycle must work and balance to the cent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { HUB } from '../../src/clearing/ledger.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency of its own: no other test clears AUD.
const CURRENCY = 'AUD';

beforeAll(() => {
  db = clearingDb(5);
});

afterAll(async () => {
  await db.destroy();
});

async function net(period: string) {
  const [cycle] = await openCycles(db, period, CURRENCY);
  await closeCycles(db, [cycle.id]);
  await netCycles(db, [cycle.id]);
  const positions: { party: string; net: string; settle_amount: string; carry_out: string; carried_in: string }[] = await db('clearing_positions').where({ cycle_id: cycle.id });
  return new Map(positions.map((p) => [p.party, { net: BigInt(p.net), settle: BigInt(p.settle_amount), carry: BigInt(p.carry_out), carriedIn: BigInt(p.carried_in) }]));
}

describe('a cycle without hub fees', () => {
  it('nets when rounding leaves a residue: the hub absorbs it and carries it forward', async () => {
    const period = '2085-05';
    const [c1, c2] = [await aParty(db, ['CPO']), await aParty(db, ['CPO'])];
    const emsp = await aParty(db, ['EMSP'], 'FR');
    for (const cpo of [c1, c2]) await anAgreement(db, cpo, emsp, { valid_from: '2085-01-01T00:00:00Z', currencies: [CURRENCY], fee_fixed: '0', fee_percent: '0', vat_treatment: 'EXCL_VAT' });
    await bookCdrs(db, [cdrMessage(aCdr(c1, { currency: CURRENCY, excl: '10.0060', end: `${period}-03T10:00:00Z` }), emsp), cdrMessage(aCdr(c2, { currency: CURRENCY, excl: '20.0060', end: `${period}-04T10:00:00Z` }), emsp)]);

    const first = await net(period);
    expect(first.get(c1)).toMatchObject({ net: 100060n, settle: 100000n, carry: 60n });
    expect(first.get(c2)).toMatchObject({ net: 200060n, settle: 200000n, carry: 60n });
    expect(first.get(emsp)).toMatchObject({ net: -300120n, settle: -300100n, carry: -20n });
    // The eMSP pays a cent more than the CPOs receive: the hub keeps it now and owes it back later.
    expect(first.get(HUB)).toMatchObject({ net: 0n, settle: 100n, carry: -100n });
    const all = [...first.values()];
    expect(all.reduce((s, p) => s + p.settle, 0n)).toBe(0n);
    expect(all.reduce((s, p) => s + p.carry, 0n)).toBe(0n);

    // The residues come back in the next cycle (nothing else booked there) and still sum to zero.
    const next = await net(nextPeriod(period));
    expect(next.get(HUB)?.carriedIn).toBe(-100n);
    expect([...next.values()].reduce((s, p) => s + p.net, 0n)).toBe(0n);
    expect([...next.values()].reduce((s, p) => s + p.settle, 0n)).toBe(0n);
  });
});
