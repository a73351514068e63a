// A net payer that pays its statement by bank transfer (recorded with `hub statements pay`) instead
// of through the PayPal link: settlement must not collect the same statement a second time through
// PayPal when the payer also approves the order later, and the cycle settles on the bank transfer.
// A partial bank transfer leaves the PayPal order uncaptured too (it is for the full amount).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { getCycle } from '../../src/clearing/cycles.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { statementId } from '../../src/clearing/statements.ts';
import { balances, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { formatUnits } from '../../src/clearing/money.ts';
import { ensureTracked, getAccount, recordBankTransfer } from '../../src/billing/tracking.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aPaidCycle, approveOrdersOf, clearingDb } from './support.ts';

let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
// A currency and months of its own: no other test clears SGD.
const CURRENCY = 'SGD';

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

const captures = (statement: string) => [...standIn.captures.values()].filter((c) => c.invoice_id === statement);

describe('a statement paid by bank transfer', () => {
  it('is not collected again through PayPal, and the cycle settles on the transfer', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: '2087-03', currency: CURRENCY, excl: ['40.0000', '12.3456'], pay: false });
    const statement = statementId({ period: paid.period, currency: CURRENCY }, paid.emsp);
    await ensureTracked(db);
    const owed = (await getAccount(db, statement)).amount_due;
    await recordBankTransfer(db, { statementId: statement, amount: owed, reference: 'BANK-2087-03', actor: 'settlement' });

    // The payer approves the PayPal order as well (the link was in its email).
    approveOrdersOf(standIn, statement);
    const [report] = await settleCycles(db, paypal, [await getCycle(db, paid.cycleId)]);
    expect(captures(statement)).toEqual([]);
    expect(report.state).toBe('settled');
    await ensureTracked(db);
    expect(await getAccount(db, statement)).toMatchObject({ paid: owed, balance: '0.00', status: 'paid' });
    // The eMSP's settlement account is square: it paid once.
    const [settlement] = await balances(db, { owner: paid.emsp, currency: CURRENCY }).then((b) => b.filter((x) => x.kind === 'settlement'));
    expect(formatUnits(settlement.balance, 2)).toBe('0.00');
    expect(await unbalancedEntries(db)).toEqual([]);
    expect((await ledgerTotals(db)).get(CURRENCY)).toBe(0n);
  });

  it('in part: the PayPal order (for the full amount) is left uncaptured and the cycle waits for the rest', async () => {
    const paid = await aPaidCycle(db, paypal, standIn, { period: '2087-06', currency: CURRENCY, excl: ['40.0000'], pay: false });
    const statement = statementId({ period: paid.period, currency: CURRENCY }, paid.emsp);
    await ensureTracked(db);
    await recordBankTransfer(db, { statementId: statement, amount: '10.00', reference: 'BANK-2087-06', actor: 'settlement' });
    approveOrdersOf(standIn, statement);
    const [report] = await settleCycles(db, paypal, [await getCycle(db, paid.cycleId)]);
    expect(captures(statement)).toEqual([]);
    expect(report.state).toBe('settling');
    expect(report.errors.join()).toMatch(/bank transfer/);
    await ensureTracked(db);
    const rest = (await getAccount(db, statement)).balance;
    await recordBankTransfer(db, { statementId: statement, amount: rest, reference: 'BANK-2087-06b', actor: 'settlement' });
    const [again] = await settleCycles(db, paypal, [await getCycle(db, paid.cycleId)]);
    expect(captures(statement)).toEqual([]);
    expect(again.state).toBe('settled');
  });
});
