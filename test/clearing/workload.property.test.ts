// Model-based property test over random workloads against real Postgres: CDRs, credit CDRs,
// disputes, redeliveries and concurrent bookers, held CDRs, a cycle to settlement with payout
// failures. After each workload: every entry balances, each currency's ledger sums to zero, net
// positions sum to zero, settled + carried forward = net, nothing booked or paid twice, and the
// gross per pair equals what the model expects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, listCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { HUB, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { toUnits } from '../../src/clearing/money.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { createPayPal } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
let standIn: PayPalStandIn;
let run = 0;

beforeAll(async () => {
  db = clearingDb(20);
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

type Op =
  | { kind: 'cdr'; pair: number; currency: number; cents: number; day: number }
  | { kind: 'credit'; of: number }
  | { kind: 'dispute'; of: number; outcome: 'upheld' | 'rejected' | 'open' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('cdr' as const), pair: fc.nat(3), currency: fc.nat(1), cents: fc.integer({ min: 1, max: 2_000_000 }), day: fc.integer({ min: 1, max: 28 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('credit' as const), of: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispute' as const), of: fc.nat(40), outcome: fc.constantFrom('upheld' as const, 'rejected' as const, 'open' as const) }) },
);

/** One workload, start to settlement, with every invariant checked (the property's body). */
async function runWorkload(ops: Op[], bookers: number, failPayout: boolean): Promise<void> {
  run += 1;
  const period = `${2040 + Math.floor(run / 12)}-${String(1 + (run % 12)).padStart(2, '0')}`;
  const a = await aParty(db, ['CPO', 'EMSP']);
  const b = await aParty(db, ['CPO']);
  const c = await aParty(db, ['EMSP']);
  const d = await aParty(db, ['EMSP']); // no agreement: its CDRs are held
  await anAgreement(db, a, c, { currencies: ['EUR', 'USD'], fee_payer: 'SPLIT' });
  await anAgreement(db, b, a, { currencies: ['EUR', 'USD'], fee_payer: 'EMSP', vat_treatment: 'EXCL_VAT' });
  await anAgreement(db, b, c, { currencies: ['EUR'], fee_payer: 'CPO' });
  const pairs: [string, string][] = [[a, c], [b, a], [b, c], [b, d]];
  const currencies = ['EUR', 'USD'];

  // The model: what each CDR is and what became of it.
  const cdrs: { cdr: ReturnType<typeof aCdr>; cpo: string; emsp: string; currency: string; fate: 'in' | 'credited' | 'disputed' | 'voided' | 'held' }[] = [];
  const messages: ReturnType<typeof cdrMessage>[] = [];
  for (const op of ops) {
    if (op.kind === 'cdr') {
      const [cpo, emsp] = pairs[op.pair];
      const currency = currencies[op.currency];
      const covered = !(cpo === b && emsp === d) && !(cpo === b && emsp === c && currency === 'USD');
      const cdr = aCdr(cpo, { id: `P${run}-${cdrs.length}`, currency, excl: (op.cents / 10000).toFixed(4), end: `${period}-${String(op.day).padStart(2, '0')}T12:00:00Z` });
      cdrs.push({ cdr, cpo, emsp, currency, fate: covered ? 'in' : 'held' });
      messages.push(cdrMessage(cdr, emsp));
    } else if (op.kind === 'credit') {
      const target = cdrs[op.of % Math.max(1, cdrs.length)];
      if (!target || target.fate !== 'in') continue;
      target.fate = 'credited';
      const credit = aCdr(target.cpo, { id: `${target.cdr.id}-CR`, currency: target.currency, excl: `-${target.cdr.total_cost.excl_vat}`, incl: `-${target.cdr.total_cost.incl_vat}`, end: target.cdr.end_date_time, credit: { of: target.cdr.id } });
      messages.push(cdrMessage(credit, target.emsp));
    }
  }
  // Concurrent bookers, each with a random-ish slice, plus redeliveries of everything.
  const chunks = Array.from({ length: bookers }, (_, i) => messages.filter((_m, j) => j % bookers === i));
  // Originals before credits per chunk is not guaranteed: credits may wait (held) for their original.
  await Promise.all([...chunks.map((chunk) => bookCdrs(db, chunk)), bookCdrs(db, [...messages].reverse())]);
  await bookCdrs(db, messages);

  for (const op of ops) {
    if (op.kind !== 'dispute') continue;
    const target = cdrs[op.of % Math.max(1, cdrs.length)];
    if (!target || target.fate !== 'in') continue;
    const dispute = await openDispute(db, { cdr: { ...parsePartyRef(target.cpo), id: target.cdr.id }, opened_by: 'hub', reason: 'property test' });
    target.fate = 'disputed';
    if (op.outcome !== 'open') {
      await resolveDispute(db, dispute.id, op.outcome, 'test');
      target.fate = op.outcome === 'rejected' ? 'in' : 'voided';
    }
  }

  const cycles = await openCycles(db, period, 'EUR').then(async (eur) => [...eur, ...(await openCycles(db, period, 'USD'))]);
  const ids = [...new Set(cycles.map((x) => x.id))];
  await closeCycles(db, ids);
  await Promise.all([netCycles(db, ids).catch(() => undefined), netCycles(db, ids).catch(() => undefined)]);
  await netCycles(db, ids);
  await generateStatements(db, ids, { name: 'Hub', party: 'NL-HUB' });

  // Gross per pair = the model's included CDRs.
  const grossRows: { emsp: string; cpo: string; amount: string; cycle_id: string }[] = await db('clearing_pairs').whereIn('cycle_id', ids);
  const cycleCurrency = new Map((await listCycles(db, { period })).map((x) => [x.id, x.currency]));
  for (const [cpo, emsp] of pairs) {
    for (const currency of currencies) {
      const expected = cdrs
        .filter((x) => x.fate === 'in' && x.cpo === cpo && x.emsp === emsp && x.currency === currency)
        .reduce((s, x) => s + (cpo === b && emsp === a ? toUnits(x.cdr.total_cost.excl_vat) : toUnits(x.cdr.total_cost.incl_vat as string)), 0n);
      const actual = grossRows.filter((r) => r.cpo === cpo && r.emsp === emsp && cycleCurrency.get(r.cycle_id) === currency).reduce((s, r) => s + BigInt(r.amount), 0n);
      expect(actual).toBe(expected);
    }
  }

  // Settle with payout failures on the first round, then retries until settled.
  for (const p of [a, b, c]) await setPayee(db, p, `${p.toLowerCase()}@pt.example`);
  if (failPayout) standIn.failingReceivers.add(`${b.toLowerCase()}@pt.example`);
  const paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, backoffMs: 1 });
  for (let i = 0; i < 4; i++) {
    const current = await listCycles(db, { period });
    if (current.every((x) => x.state === 'settled')) break;
    await settleCycles(db, paypal, current);
    for (const order of standIn.orders.values()) standIn.approve(order.id);
    standIn.failingReceivers.clear();
  }
  expect((await listCycles(db, { period })).every((x) => x.state === 'settled')).toBe(true);

  // Invariants.
  expect(await unbalancedEntries(db)).toEqual([]);
  for (const total of (await ledgerTotals(db)).values()) expect(total).toBe(0n);
  const keys = await db('clearing_bookings').whereIn('cpo', [a, b]).groupBy('country_code', 'party_id', 'cdr_id').havingRaw('count(*) > 1').select('cdr_id');
  expect(keys).toEqual([]);
  const entriesPerBooking = await db('ledger_entries').where({ kind: 'booking' }).groupBy('booking_id').havingRaw('count(*) > 1').select('booking_id');
  expect(entriesPerBooking).toEqual([]);
  const positions = await db('clearing_positions').whereIn('cycle_id', ids);
  const paid = await db('clearing_payments').whereIn('cycle_id', ids).where({ status: 'completed' });
  expect(new Set(paid.map((p) => `${p.cycle_id}|${p.party}|${p.direction}`)).size).toBe(paid.length);
  for (const id of ids) {
    const of = positions.filter((p) => p.cycle_id === id);
    expect(of.reduce((s, p) => s + BigInt(p.net), 0n)).toBe(0n);
    expect(of.reduce((s, p) => s + BigInt(p.carry_out), 0n)).toBe(0n);
    for (const p of of.filter((q) => q.party !== HUB)) {
      const payment = paid.find((q) => q.cycle_id === id && q.party === p.party);
      const settled = payment ? (payment.direction === 'payout' ? BigInt(payment.amount) : -BigInt(payment.amount)) : 0n;
      expect(settled + BigInt(p.carry_out)).toBe(BigInt(p.net));
    }
  }
  // Held CDRs stayed out of clearing.
  const held = await db('clearing_bookings').where({ cpo: b, emsp: d }).whereNot({ status: 'held' });
  expect(held).toEqual([]);
}

describe('clearing over random workloads', () => {
  it('keeps every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), runWorkload),
      { numRuns: 8, endOnFailure: true },
    );
  });

  // CI counterexample (seed -1197530049, path "5"): expected 3999975n to be 1999991n for (b, a) EUR.
  // The credit of CDR #1 sat in one booker's chunk, its original in another's; the credit's
  // transaction did not see the original (not yet committed) and held it as original_unknown, while
  // the original's booker looked for waiting credits before the held credit was committed. Nothing
  // released the credit afterwards (redeliveries were duplicates), so the credited CDR stayed in
  // clearing. The interleaving depends on timing (it struck about one replay in ten before the fix),
  // so the exact workload is replayed a number of times; test/clearing/creditRace.test.ts forces it.
  it('replays the CI counterexample: a credit booked concurrently with its original reverses it', async () => {
    const ops: Op[] = [
      { kind: 'dispute', of: 8, outcome: 'open' },
      { kind: 'cdr', pair: 1, currency: 0, cents: 16, day: 5 },
      { kind: 'cdr', pair: 1, currency: 0, cents: 1999984, day: 1 },
      { kind: 'cdr', pair: 3, currency: 1, cents: 612415, day: 4 },
      { kind: 'dispute', of: 35, outcome: 'open' },
      { kind: 'credit', of: 22 },
      { kind: 'cdr', pair: 2, currency: 1, cents: 1808380, day: 4 },
      { kind: 'cdr', pair: 0, currency: 0, cents: 17, day: 15 },
      { kind: 'cdr', pair: 2, currency: 1, cents: 1644013, day: 2 },
      { kind: 'cdr', pair: 1, currency: 0, cents: 1999991, day: 9 },
    ];
    for (let i = 0; i < 12; i++) await runWorkload(ops, 4, false);
  });
});
