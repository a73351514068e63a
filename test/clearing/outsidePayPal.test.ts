// A month cleared in a currency PayPal does not take (KWD) next to one it does (EUR), as the
// settlement team runs it with the `hub` command: settle creates no PayPal order or payout in KWD
// and says, statement by statement, that it is settled by bank transfer (not an error); the EUR
// cycle of the same month settles through PayPal as usual; the KWD cycle is settled once the eMSP's
// bank transfer to the hub and the hub's to the CPO are recorded with `hub statements pay`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, getStatement, statementId } from '../../src/clearing/statements.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { balances, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { ensureTracked, getAccount } from '../../src/billing/tracking.ts';
import { abs } from '../../src/clearing/money.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { runHub } from '../support/cli.ts';
import { aCdr, aParty, anAgreement, approveOrdersOf, cdrMessage, clearingDb } from './support.ts';

// A month no other test clears (others stay below 2100), in KWD and EUR.
const PERIOD = '2123-05';
let db: Db;
let standIn: PayPalStandIn;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'qu-cid', clientSecret: 'qu-secret' });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

async function hub(...args: string[]) {
  const run = await runHub({ PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'qu-cid', PAYPAL_CLIENT_SECRET: 'qu-secret', PAYPAL_BASE_URL: standIn.url }, ...args);
  let json: any;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  return { ...run, json };
}

async function aNettedMonth(currency: string, excl: string[]) {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'BE');
  await anAgreement(db, cpo, emsp, { currencies: [currency], fee_payer: 'SPLIT' });
  for (const p of [cpo, emsp]) await setPayee(db, p, `${p.toLowerCase()}@qu.example`, { actor: 'test' });
  const cdrs = excl.map((e, i) => aCdr(cpo, { currency, excl: e, end: `${PERIOD}-${String(10 + i).padStart(2, '0')}T12:00:00Z` }));
  await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));
  const [cycle] = await openCycles(db, PERIOD, currency);
  await closeCycles(db, [cycle.id]);
  await netCycles(db, [cycle.id]);
  await generateStatements(db, [cycle.id], { name: 'Test Hub', party: 'NL-HUB' });
  return { cpo, emsp, cycleId: cycle.id, payer: statementId({ period: PERIOD, currency }, emsp), receiver: statementId({ period: PERIOD, currency }, cpo) };
}

const paypalCurrencies = () => [...[...standIn.orders.values()].map((o) => o.purchase_units[0].amount.currency_code), ...[...standIn.items.values()].map((i) => i.payout_item.amount.currency)];

describe('a currency PayPal does not take', () => {
  it('settles by bank transfer, statement by statement, while the same month settles through PayPal in EUR', async () => {
    const kwd = await aNettedMonth('KWD', ['40.0050', '12.3456']);
    const eur = await aNettedMonth('EUR', ['40.00']);

    const first = await hub('clearing', 'settle', '--period', PERIOD);
    expect(first.code).toBe(0);
    const byCycle = new Map((first.json as any[]).map((r) => [r.cycle, r]));
    const k = byCycle.get(kwd.cycleId);
    expect(k).toMatchObject({ state: 'settling', orders_created: 0, payouts_sent: 0, errors: [] });
    expect(k.outside_paypal.reason).toMatch(/PayPal does not take KWD.*bank transfer/);
    expect(k.outside_paypal.statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ statement_id: kwd.payer, party: kwd.emsp, direction: 'party_pays', state: 'awaiting_bank_transfer', next: expect.stringContaining(`hub statements pay ${kwd.payer}`) }),
        expect.objectContaining({ statement_id: kwd.receiver, party: kwd.cpo, direction: 'hub_pays', state: 'awaiting_bank_transfer' }),
      ]),
    );
    expect(k.outside_paypal.statements[0].amount).toMatch(/^\d+\.\d{3} KWD$/);
    expect(byCycle.get(eur.cycleId)).toMatchObject({ state: 'settling', orders_created: 1, payouts_sent: 1, errors: [] });
    expect(paypalCurrencies()).not.toContain('KWD');
    expect(paypalCurrencies()).toContain('EUR');
    expect(await db('clearing_payments').where({ cycle_id: kwd.cycleId })).toEqual([]);
    // The statements say how they are settled.
    expect((await getStatement(db, kwd.payer)).settlement).toMatchObject({ direction: 'party_pays', method: 'bank_transfer', approval_url: null });
    expect((await getStatement(db, eur.payer)).settlement).toMatchObject({ direction: 'party_pays', method: 'paypal' });

    const status = await hub('clearing', 'status', '--period', PERIOD);
    expect(status.code).toBe(0);
    const statusOf = new Map((status.json as any[]).map((c) => [c.id, c]));
    expect(statusOf.get(kwd.cycleId).outside_paypal.statements.map((s: any) => s.state)).toEqual(['awaiting_bank_transfer', 'awaiting_bank_transfer']);
    expect(statusOf.get(eur.cycleId).outside_paypal).toBeUndefined();

    // The eMSP pays the hub by bank; the cycle still waits for the hub's transfer to the CPO.
    await ensureTracked(db);
    const owed = (await getAccount(db, kwd.payer)).amount_due;
    expect((await hub('statements', 'pay', kwd.payer, '--amount', owed, '--reference', 'QU-KWD-IN')).code).toBe(0);
    const [second] = (await hub('clearing', 'settle', '--cycle', kwd.cycleId)).json;
    expect(second.state).toBe('settling');
    expect(second.outside_paypal.statements.find((s: any) => s.statement_id === kwd.payer).state).toBe('paid_by_bank_transfer');

    // In EUR the hub pays through PayPal Payouts: a bank payment too is refused, nothing recorded.
    const refused = await hub('statements', 'pay', eur.receiver, '--amount', '1.00', '--reference', 'QU-EUR-OUT');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/PayPal Payouts/);
    expect(await db('billing_payments').where({ statement_id: eur.receiver, method: 'bank_transfer' })).toEqual([]);

    // The hub pays the CPO by bank: the KWD cycle is settled; the EUR one once its order is captured.
    const due = (await getAccount(db, kwd.receiver)).amount_due;
    const paid = await hub('statements', 'pay', kwd.receiver, '--amount', due, '--reference', 'QU-KWD-OUT');
    expect(paid.code).toBe(0);
    expect(paid.stdout).toMatch(/balance 0\.000 KWD, paid/);
    approveOrdersOf(standIn, eur.payer);
    const last = await hub('clearing', 'settle', '--period', PERIOD);
    expect(last.code).toBe(0);
    expect((last.json as any[]).map((r) => [r.cycle, r.state]).sort()).toEqual([[kwd.cycleId, 'settled'], [eur.cycleId, 'settled']].sort());
    expect(paypalCurrencies()).not.toContain('KWD');

    // Both KWD parties are square to the fils (what is below it is carried forward) and the ledger balances.
    for (const party of [kwd.cpo, kwd.emsp]) {
      const settlement = (await balances(db, { owner: party, currency: 'KWD' })).find((b) => b.kind === 'settlement');
      expect([party, abs(BigInt(settlement?.balance ?? 0)) < 10n]).toEqual([party, true]);
    }
    expect(await unbalancedEntries(db)).toEqual([]);
    expect((await ledgerTotals(db)).get('KWD')).toBe(0n);
  }, 240_000);
});
