// Currencies PayPal moves only in whole units (HUF and TWD, which ISO 4217 gives two decimals, and
// JPY): a cycle with fractional CDR values and fees settles through the PayPal stand-in, which
// refuses decimals in these currencies as PayPal does. Positions settle in whole units, the
// residual is carried forward, and the statements and the ledger agree to the unit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { HUB, ledgerTotals, unbalancedEntries } from '../../src/clearing/ledger.ts';
import { getStatement, statementId } from '../../src/clearing/statements.ts';
import { toUnits } from '../../src/clearing/money.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aPaidCycle, clearingDb } from './support.ts';

let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

describe('currencies PayPal moves in whole units', () => {
  // Periods of their own: no other test clears HUF, TWD or JPY.
  it.each([
    ['HUF', '2084-02'],
    ['TWD', '2084-04'],
    ['JPY', '2084-06'],
  ])('%s: a cycle with fractional values settles in whole units and carries the rest', async (currency, period) => {
    const paid = await aPaidCycle(db, paypal, standIn, { period, currency, excl: ['1234.5678', '999.9999', '15.0101'] });
    const positions: { party: string; net: string; settle_amount: string; carry_out: string }[] = await db('clearing_positions').where({ cycle_id: paid.cycleId });
    let carried = 0n;
    for (const p of positions) {
      if (p.party !== HUB) expect([p.party, BigInt(p.settle_amount) % 10_000n]).toEqual([p.party, 0n]);
      expect(BigInt(p.settle_amount) + BigInt(p.carry_out)).toBe(BigInt(p.net));
      carried += BigInt(p.carry_out);
    }
    expect(carried).toBe(0n);
    // What PayPal moved is what the statements say, to the unit.
    const payments: { party: string; direction: string; amount: string; status: string }[] = await db('clearing_payments').where({ cycle_id: paid.cycleId });
    expect(payments.map((p) => p.status)).toEqual(['completed', 'completed']);
    for (const p of payments) {
      const statement = await getStatement(db, statementId({ period, currency }, p.party));
      expect(toUnits(statement.settlement.amount)).toBe(BigInt(p.amount));
    }
    const values = [...standIn.orders.values(), ...standIn.items.values()]
      .filter((x) => JSON.stringify(x).includes(paid.cycleId.slice(0, 8)) || JSON.stringify(x).includes(paid.cycleId))
      .map((x) => (x.purchase_units ? x.purchase_units[0].amount.value : x.payout_item.amount.value));
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toMatch(/^\d+$/);
    expect(await unbalancedEntries(db)).toEqual([]);
    expect((await ledgerTotals(db)).get(currency) ?? 0n).toBe(0n);
  });
});
