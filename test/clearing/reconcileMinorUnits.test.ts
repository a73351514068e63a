// `hub clearing reconcile` shows ledger amounts as the currency writes them (JPY and HUF in whole
// units, as PayPal shows them), not with two decimals whatever the currency: a settlement team
// compares them with PayPal's by eye.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { reconcileCycle } from '../../src/clearing/reconcile.ts';
import { createPayPal, type PayPalGateway } from '../../src/clearing/paypal/client.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aPaidCycle, clearingDb } from './support.ts';

let db: Db;
let standIn: PayPalStandIn;
let paypal: PayPalGateway;
// A PayPal that knows none of the cycle's transactions, so that every payment is reported with its ledger amount.
let elsewhere: PayPalStandIn;
let elsewherePaypal: PayPalGateway;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, timeoutMs: 2000, backoffMs: 5 });
  elsewhere = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  elsewherePaypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: elsewhere.url, timeoutMs: 2000, backoffMs: 5 });
});

afterAll(async () => {
  await standIn.stop();
  await elsewhere.stop();
  await db.destroy();
});

describe('reconcile shows ledger amounts in the currency minor unit', () => {
  // Periods no other test uses (others stay below 2100).
  it.each([
    ['JPY', '2123-01'],
    ['HUF', '2123-02'],
  ])('%s: whole units, as PayPal writes them', async (currency, period) => {
    const paid = await aPaidCycle(db, paypal, standIn, { period, currency, excl: ['1234.5678', '999.9999'] });
    const matched = await reconcileCycle(db, paypal, paid.cycleId);
    expect(matched.mismatches).toEqual([]);
    expect(matched.matched).toBe(2);

    const report = await reconcileCycle(db, elsewherePaypal, paid.cycleId);
    const missing = report.mismatches.filter((m) => m.kind === 'missing_in_paypal');
    expect(missing).toHaveLength(2);
    for (const m of missing) expect(m.ledger).toMatch(new RegExp(`^-?\\d+ ${currency}$`));
  });
});
