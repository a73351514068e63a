// End to end: two CPOs and two eMSPs (one of them also a CPO), two currencies, a month of CDRs
// through the NATS stream and the booker, a cycle from open to settled through the PayPal
// stand-in including one failed payout and its retry; statements checked line by line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { startBooker } from '../../src/clearing/booker.ts';
import { importCdrs } from '../../src/clearing/cdrImport.ts';
import { closeCycles, listCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, getStatement, statementCsv, statementId } from '../../src/clearing/statements.ts';
import { statementPdf } from '../../src/clearing/statementPdf.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { reconcileCycle } from '../../src/clearing/reconcile.ts';
import { openDispute } from '../../src/clearing/disputes.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { HUB, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { formatUnits, toUnits, divRoundHalfEven } from '../../src/clearing/money.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { createPayPal } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aCdr, aParty, anAgreement, clearingConfig } from './support.ts';

let deps: HubDeps;
let standIn: PayPalStandIn;
let booker: { stop(): Promise<void> };

beforeAll(async () => {
  deps = await buildDeps(clearingConfig(), createLogger({ level: 'silent' }), 'clearing-e2e');
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  booker = await startBooker(deps, { durable: `booker-e2e-${Date.now()}` });
});

afterAll(async () => {
  await booker?.stop();
  await standIn?.stop();
  await closeDeps(deps);
});

async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a clearing month end to end', () => {
  it('books through the stream, nets, issues statements and settles through PayPal, retrying a failed payout', async () => {
    const db = deps.db;
    const c1 = await aParty(db, ['CPO']);
    const x = await aParty(db, ['CPO', 'EMSP'], 'DE');
    const e1 = await aParty(db, ['EMSP'], 'BE');
    const fee = { fee_fixed: '0.05', fee_percent: '1', fee_payer: 'CPO' as const };
    await anAgreement(db, c1, e1, { currencies: ['EUR', 'GBP'], ...fee });
    await anAgreement(db, c1, x, { currencies: ['EUR'], ...fee, fee_payer: 'SPLIT' });
    await anAgreement(db, x, e1, { currencies: ['EUR', 'GBP'], ...fee, vat_treatment: 'EXCL_VAT', fee_payer: 'EMSP' });
    const period = `2031-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`; // a month no other test uses
    const day = (d: number, h = 10) => `${period}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;

    // A month of CDRs: every pair and currency covered, values with 4 decimals.
    type Sent = { cpo: string; emsp: string; currency: string; cdr: ReturnType<typeof aCdr> };
    const sent: Sent[] = [];
    const pairs: [string, string, string[]][] = [[c1, e1, ['EUR', 'GBP']], [c1, x, ['EUR']], [x, e1, ['EUR', 'GBP']]];
    let n = 0;
    for (let d = 1; d <= 28; d++) {
      for (const [cpo, emsp, currencies] of pairs) {
        const currency = currencies[d % currencies.length];
        n += 1;
        const excl = (3 + ((n * 7919) % 4000) / 100 + (n % 7) / 10000).toFixed(4);
        sent.push({ cpo, emsp, currency, cdr: aCdr(cpo, { id: `E2E${n}`, currency, excl, end: day(d, 8 + (n % 12)) }) });
      }
    }
    const publish = (items: Sent[]) =>
      Promise.all(items.map((s) => importCdrs(deps, [s.cdr], { receiver: parsePartyRef(s.emsp) })));
    await publish(sent);
    // A credit CDR reversing one CDR, and a redelivery of another (a new publish of the same CDR).
    const credited = sent[4];
    const credit = aCdr(credited.cpo, { id: `${credited.cdr.id}-CR`, currency: credited.currency, excl: `-${credited.cdr.total_cost.excl_vat}`, incl: `-${credited.cdr.total_cost.incl_vat}`, end: day(20), credit: { of: credited.cdr.id } });
    await importCdrs(deps, [credit], { receiver: parsePartyRef(credited.emsp) });
    await deps.bus.js.publish(deps.bus.subjects.ocpi('cdrs', 'post', 'X', 0), JSON.stringify({ module: 'cdrs', event: 'post', path: [], body: sent[0].cdr, object_key: 'k', sender: parsePartyRef(sent[0].cpo), from: parsePartyRef(sent[0].cpo), receiver: parsePartyRef(sent[0].emsp), routing: 'direct', request_id: 'again', correlation_id: 'again', accepted_at: new Date().toISOString() }));

    const expectedRows = sent.length + 1;
    await until(async () => Number((await db('clearing_bookings').whereIn('cpo', [c1, x]).count({ n: '*' }).first())!.n) === expectedRows);
    // A dispute within the window moves one CDR to suspense, out of the cycle.
    const disputed = sent[10];
    await openDispute(db, { cdr: { ...parsePartyRef(disputed.cpo), id: disputed.cdr.id }, opened_by: disputed.emsp, reason: 'session never happened', evidence: [{ type: 'log', ref: 'x' }] }, { now: new Date(day(28)) });

    // Per currency: without one, openCycles opens every currency any agreement in the database names,
    // and other test files (the workload property's EUR/USD agreements) share this database, so the
    // month would get an empty USD cycle whenever such a file happened to run first.
    const cycles = [...(await openCycles(db, period, 'EUR')), ...(await openCycles(db, period, 'GBP'))];
    expect(cycles.map((c) => c.currency).sort()).toEqual(['EUR', 'GBP']);
    const ids = cycles.map((c) => c.id);
    await closeCycles(db, ids);
    // Late: a CDR of this month arriving after the close goes to the next month's cycle.
    const late = aCdr(c1, { id: `LATE${Date.now()}`, currency: 'EUR', excl: '5', end: day(28) });
    await importCdrs(deps, [late], { receiver: parsePartyRef(e1) });
    const lateRow: { period: string } = await until(() => db('clearing_bookings as b').join('clearing_cycles as c', 'c.id', 'b.cycle_id').where('b.cdr_id', late.id).first('c.period'));
    expect(lateRow.period).not.toBe(period);

    const netReport = await netCycles(db, ids);
    expect((await netCycles(db, ids)).map((r) => r.skipped)).toEqual(['already netted', 'already netted']);
    await generateStatements(db, ids, { name: 'Test Hub', party: 'NL-HUB' });
    await generateStatements(db, ids, { name: 'Test Hub', party: 'NL-HUB' });

    // Expected, computed independently from what was sent.
    const value = (s: Sent) => {
      const excl = toUnits(s.cdr.total_cost.excl_vat);
      const incl = toUnits(s.cdr.total_cost.incl_vat as string);
      const amount = s.cpo === x ? excl : incl; // x→e1 settles excl. VAT
      const feeTotal = 500n + divRoundHalfEven(amount * 10000n, 1_000_000n);
      const payer = s.cpo === c1 && s.emsp === e1 ? 'CPO' : s.cpo === c1 ? 'SPLIT' : 'EMSP';
      const feeCpo = payer === 'CPO' ? feeTotal : payer === 'EMSP' ? 0n : feeTotal / 2n;
      return { amount, feeCpo, feeEmsp: feeTotal - feeCpo };
    };
    const counted = sent.filter((s) => s !== credited && s !== disputed);
    for (const cycle of cycles) {
      const inCycle = counted.filter((s) => s.currency === cycle.currency);
      for (const party of [c1, x, e1]) {
        const st = await getStatement(db, statementId(cycle, party));
        const lines = new Map(st.counterparties.map((l) => [`${l.role}|${l.counterparty}`, l]));
        let net = 0n;
        for (const role of ['CPO', 'EMSP'] as const) {
          for (const other of [c1, x, e1]) {
            const mine = inCycle.filter((s) => (role === 'CPO' ? s.cpo === party && s.emsp === other : s.emsp === party && s.cpo === other));
            const line = lines.get(`${role}|${other}`);
            if (mine.length === 0) {
              expect(line).toBeUndefined();
              continue;
            }
            const amount = mine.reduce((t, s) => t + value(s).amount, 0n);
            const fees = mine.reduce((t, s) => t + (role === 'CPO' ? value(s).feeCpo : value(s).feeEmsp), 0n);
            const signed = role === 'CPO' ? amount : -amount;
            // The credited CDR and its credit both appear (and cancel out).
            const rows = mine.length + (credited.currency === cycle.currency && (role === 'CPO' ? credited.cpo === party && credited.emsp === other : credited.emsp === party && credited.cpo === other) ? 2 : 0);
            expect(line).toMatchObject({ cdr_count: rows, amount: formatUnits(signed), hub_fee: formatUnits(-fees), net: formatUnits(signed - fees) });
            net += signed - fees;
          }
        }
        expect(st.totals.net).toBe(formatUnits(net));
        expect(BigInt(toUnits(st.totals.settle_amount)) + toUnits(st.totals.carry_out)).toBe(net);
        const csv: string[] = [];
        for await (const chunk of statementCsv(db, st.statement_id)) csv.push(chunk);
        const creditedHere = credited.currency === cycle.currency && (credited.cpo === party || credited.emsp === party) ? 2 : 0;
        expect(csv.join('').split('\r\n').filter((l) => l.startsWith('"cdr"')).length).toBe(inCycle.filter((s) => s.cpo === party || s.emsp === party).length + creditedHere);
      }
    }
    const pdf = await statementPdf(db, statementId(cycles[0], c1));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(netReport.every((r) => typeof r.efficiency === 'number')).toBe(true);

    // Settlement: payees for receivers; one of them fails at PayPal first.
    for (const p of [c1, x, e1]) await setPayee(db, p, `${p.toLowerCase()}@partners.example`, { actor: 'test' });
    standIn.failingReceivers.add(`${c1.toLowerCase()}@partners.example`);
    standIn.inject({ match: /POST \/v1\/payments\/payouts$/, kind: 503 });
    const paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, backoffMs: 5, timeoutMs: 2000 });
    const fresh = await listCycles(db, { period });
    let reports = await settleCycles(db, paypal, fresh);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((s, r) => s + r.payouts_failed, 0)).toBeGreaterThan(0);
    // Payers approve their orders; the receiver fixes its PayPal account; the next run retries.
    for (const order of standIn.orders.values()) standIn.approve(order.id);
    standIn.failingReceivers.clear();
    reports = await settleCycles(db, paypal, await listCycles(db, { period }));
    reports = await settleCycles(db, paypal, await listCycles(db, { period }));
    expect((await listCycles(db, { period })).map((c) => c.state)).toEqual(['settled', 'settled']);

    // Nothing paid twice; settled + carried forward = net for every position; Σ net = 0.
    const paid = await db('clearing_payments').whereIn('cycle_id', ids).where({ status: 'completed' }).select('cycle_id', 'party', 'direction', 'amount');
    expect(new Set(paid.map((p) => `${p.cycle_id}|${p.party}|${p.direction}`)).size).toBe(paid.length);
    const failed = await db('clearing_payments').whereIn('cycle_id', ids).where({ status: 'failed' });
    expect(failed.length).toBeGreaterThan(0);
    const positions = await db('clearing_positions').whereIn('cycle_id', ids);
    for (const id of ids) {
      const of = positions.filter((p) => p.cycle_id === id);
      expect(of.reduce((s, p) => s + BigInt(p.net), 0n)).toBe(0n);
      for (const p of of.filter((q) => q.party !== HUB)) {
        const payment = paid.find((q) => q.cycle_id === id && q.party === p.party);
        const settled = payment ? (payment.direction === 'payout' ? BigInt(payment.amount) : -BigInt(payment.amount)) : 0n;
        expect(settled).toBe(BigInt(p.settle_amount));
        expect(settled + BigInt(p.carry_out)).toBe(BigInt(p.net));
      }
    }
    const order = [...standIn.orders.values()][0];
    expect(order.purchase_units[0].invoice_id).toMatch(/^ST-/);
    expect(await unbalancedEntries(db)).toEqual([]);
    for (const total of (await ledgerTotals(db)).values()) expect(total).toBe(0n);
    for (const id of ids) expect((await reconcileCycle(db, paypal, id)).mismatches).toEqual([]);
  });
});
