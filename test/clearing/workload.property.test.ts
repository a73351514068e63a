// Model-based property test over random workloads against real Postgres: CDRs, credit CDRs,
// disputes, redeliveries and concurrent bookers, held CDRs, a cycle to settlement with payout
// failures, then disputes won or lost after payment (refunds to captures, PayPal failing for a
// while) and the next cycle that nets their reversals. After each workload: every entry balances,
// each currency's ledger sums to zero, net positions sum to zero, settled + carried forward =
// net, nothing booked, paid or refunded twice, and the gross per pair and the next cycle's
// positions equal what the model expects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, listCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { reconcileCycle } from '../../src/clearing/reconcile.ts';
import { openDispute, resolveDispute } from '../../src/clearing/disputes.ts';
import { issueRefunds, listRefunds } from '../../src/clearing/refunds.ts';
import { nextPeriod } from '../../src/clearing/periods.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { HUB, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { formatUnits, minorExponent, toMinorUnits, toUnits } from '../../src/clearing/money.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
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
  | { kind: 'dispute'; of: number; outcome: 'upheld' | 'rejected' | 'open' }
  /** A dispute resolved after the CDR's cycle was paid; `failures` 5xx answers from PayPal to its refund first. */
  | { kind: 'lateDispute'; of: number; outcome: 'upheld' | 'rejected'; failures: 0 | 1 | 5 };

interface ModelCdr {
  cdr: ReturnType<typeof aCdr>;
  cpo: string;
  emsp: string;
  currency: string;
  fate: 'in' | 'credited' | 'disputed' | 'voided' | 'held' | 'reversed';
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('cdr' as const), pair: fc.nat(3), currency: fc.nat(1), cents: fc.integer({ min: 1, max: 2_000_000 }), day: fc.integer({ min: 1, max: 28 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('credit' as const), of: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispute' as const), of: fc.nat(40), outcome: fc.constantFrom('upheld' as const, 'rejected' as const, 'open' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lateDispute' as const), of: fc.nat(40), outcome: fc.constantFrom('upheld' as const, 'rejected' as const), failures: fc.constantFrom(0 as const, 1 as const, 5 as const) }) },
);

/** One workload, start to settlement, with every invariant checked (the property's body). */
async function runWorkload(ops: Op[], bookers: number, failPayout: boolean): Promise<void> {
  run += 1;
  // Two months per run: the paid cycle and the next one, which nets disputes resolved after payment.
  const month = 2 * run;
  const period = `${2040 + Math.floor(month / 12)}-${String(1 + (month % 12)).padStart(2, '0')}`;
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
  const cdrs: ModelCdr[] = [];
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
  for (const p of [a, b, c]) await setPayee(db, p, `${p.toLowerCase()}@pt.example`, { actor: 'test' });
  if (failPayout) standIn.failingReceivers.add(`${b.toLowerCase()}@pt.example`);
  const paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, backoffMs: 1 });
  await settleUntilDone(paypal, period);
  await expectCyclesSound(ids, [a, b]);
  // Held CDRs stayed out of clearing.
  const held = await db('clearing_bookings').where({ cpo: b, emsp: d }).whereNot({ status: 'held' });
  expect(held).toEqual([]);

  await disputesAfterPayment(ops, cdrs, period, ids, paypal);
}

async function settleUntilDone(paypal: PayPalGateway, period: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const current = await listCycles(db, { period });
    if (current.every((x) => x.state === 'settled')) break;
    await settleCycles(db, paypal, current);
    for (const order of standIn.orders.values()) standIn.approve(order.id);
    standIn.failingReceivers.clear();
  }
  expect((await listCycles(db, { period })).every((x) => x.state === 'settled')).toBe(true);
}

/** Every entry balances, each currency sums to zero, nothing booked or paid twice, Σ net = 0 and settled + carried = net per cycle. */
async function expectCyclesSound(ids: string[], cpos: string[]): Promise<void> {
  expect(await unbalancedEntries(db)).toEqual([]);
  for (const total of (await ledgerTotals(db)).values()) expect(total).toBe(0n);
  const keys = await db('clearing_bookings').whereIn('cpo', cpos).groupBy('country_code', 'party_id', 'cdr_id').havingRaw('count(*) > 1').select('cdr_id');
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
}

/**
 * Disputes resolved after the paid cycle settled: an upheld one reverses the CDR in the next
 * cycle and, when its eMSP paid through a captured order, refunds the capture (at most what is
 * left of it) once, however often resolved or retried. The next cycle's own positions are the
 * model's: eMSP +(charged − refunded), CPO −(amount − its fee), hub −fees + refunded.
 */
async function disputesAfterPayment(ops: Op[], cdrs: ModelCdr[], period: string, paidIds: string[], paypal: PayPalGateway): Promise<void> {
  const late = ops.filter((o): o is Extract<Op, { kind: 'lateDispute' }> => o.kind === 'lateDispute');
  const expectedOwn = new Map<string, bigint>();
  const add = (currency: string, party: string, v: bigint) => expectedOwn.set(`${currency}|${party}`, (expectedOwn.get(`${currency}|${party}`) ?? 0n) + v);
  const captureLeft = new Map<string, bigint>();
  let upheld = 0;
  for (const op of late) {
    const target = cdrs[op.of % Math.max(1, cdrs.length)];
    if (!target || target.fate !== 'in') continue;
    const key = { ...parsePartyRef(target.cpo), id: target.cdr.id };
    const booking = await db('clearing_bookings').where({ country_code: key.country_code, party_id: key.party_id, cdr_id: key.id }).first();
    const dispute = await openDispute(db, { cdr: key, opened_by: 'hub', reason: 'after payment' });
    expect(dispute.suspended).toBe(false);
    if (op.failures) standIn.inject({ match: /\/refund$/, kind: 500, times: op.failures });
    await resolveDispute(db, dispute.id, op.outcome, 'test', undefined, { paypal });
    standIn.faults.splice(0); // PayPal was down for this resolution only (no refund may have been due)
    const resolved = await resolveDispute(db, dispute.id, op.outcome, 'test', undefined, { paypal });
    if (op.outcome === 'rejected') {
      expect(resolved.refund).toBeNull();
      continue;
    }
    upheld += 1;
    target.fate = 'reversed';
    const currency = target.currency;
    const [amount, feeCpo, feeEmsp] = [BigInt(booking.amount), BigInt(booking.fee_cpo), BigInt(booking.fee_emsp)];
    const payment = await db('clearing_payments').where({ cycle_id: booking.cycle_id, party: booking.emsp, direction: 'collect', status: 'completed' }).first();
    let refund = 0n;
    if (payment) {
      const left = captureLeft.get(String(payment.id)) ?? BigInt(payment.amount);
      const charged = toMinorUnits(amount + feeEmsp, currency).settle;
      refund = charged < left ? charged : left;
      captureLeft.set(String(payment.id), left - refund);
    }
    if (refund > 0n) expect(resolved.refund).toMatchObject({ amount: formatUnits(refund, minorExponent(currency)), currency, request_id: `refund-${dispute.id}` });
    else expect(resolved.refund).toBeNull();
    add(currency, target.emsp, amount + feeEmsp - refund);
    add(currency, target.cpo, -(amount - feeCpo));
    add(currency, HUB, refund - feeCpo - feeEmsp);
  }
  if (upheld === 0) return;

  // PayPal down longer than the client retries: a later run issues what is outstanding, with the same ids.
  for (const id of paidIds) await issueRefunds(db, paypal, { cycle: id });
  const refunds = (await Promise.all(paidIds.map((id) => listRefunds(db, { cycle: id })))).flat();
  expect(refunds.filter((r) => r.state !== 'completed')).toEqual([]);
  const payments = await db('clearing_payments').whereIn('cycle_id', paidIds).whereNotNull('capture_id');
  for (const p of payments) {
    const mine = refunds.filter((r) => r.capture_id === p.capture_id);
    const atPayPal = [...standIn.refunds.values()].filter((r) => r.capture_id === p.capture_id);
    expect(atPayPal.map((r) => r.id).sort()).toEqual(mine.map((r) => r.paypal_refund_id).sort());
    expect(mine.reduce((s, r) => s + toUnits(r.amount), 0n) <= BigInt(p.amount)).toBe(true);
  }

  const next = nextPeriod(period);
  const cycles = [...(await openCycles(db, next, 'EUR')), ...(await openCycles(db, next, 'USD'))];
  const ids = cycles.map((x) => x.id);
  await closeCycles(db, ids);
  await netCycles(db, ids);
  await generateStatements(db, ids, { name: 'Hub', party: 'NL-HUB' });
  const positions: { cycle_id: string; party: string; net: string; carried_in: string }[] = await db('clearing_positions').whereIn('cycle_id', ids);
  for (const cycle of cycles) {
    const own = new Map(positions.filter((p) => p.cycle_id === cycle.id).map((p) => [p.party, BigInt(p.net) - BigInt(p.carried_in)]));
    for (const [k, v] of expectedOwn) {
      const [currency, party] = k.split('|');
      if (currency === cycle.currency) expect([k, own.get(party) ?? 0n]).toEqual([k, v]);
    }
  }
  await settleUntilDone(paypal, next);
  await expectCyclesSound(ids, [...new Set(cdrs.map((x) => x.cpo))]);
  for (const id of paidIds) expect((await reconcileCycle(db, paypal, id)).mismatches).toEqual([]);
}

// Always among the workloads: a, CPO and eMSP, owes b 101.05 EUR for one CDR and is owed about
// 84.25 by c for another, so it pays only the difference; when it wins the dispute on the first
// CDR, its refund is capped at that capture (PayPal down for longer than the client retries), and
// c, winning on the second, gets its whole capture back.
const refundCappedByCapture: Op[] = [
  { kind: 'cdr', pair: 1, currency: 0, cents: 1_000_000, day: 3 },
  { kind: 'cdr', pair: 0, currency: 0, cents: 700_000, day: 4 },
  { kind: 'lateDispute', of: 0, outcome: 'upheld', failures: 5 },
  { kind: 'lateDispute', of: 1, outcome: 'upheld', failures: 1 },
  { kind: 'lateDispute', of: 1, outcome: 'rejected', failures: 0 },
];

describe('clearing over random workloads', () => {
  it('keeps every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), runWorkload),
      { numRuns: 8, endOnFailure: true, examples: [[refundCappedByCapture, 2, false]] },
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
