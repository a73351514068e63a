import { describe, expect, it } from 'vitest';
import { missingPayPalVariables, settleRefusal } from './configured.ts';

const none = { PAYPAL_ENVIRONMENT: 'sandbox' as const };
const full = { PAYPAL_ENVIRONMENT: 'sandbox' as const, PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret' };

describe('settling without PayPal configured', () => {
  it.each([
    ['no PayPal, only bank-transfer cycles', none, [{ period: '2026-11', currency: 'KWD' }, { period: '2026-11', currency: 'CLP' }], null],
    ['no PayPal, no cycles', none, [], null],
    ['PayPal configured, a PayPal cycle', full, [{ period: '2026-11', currency: 'EUR' }], null],
    ['no PayPal, a PayPal cycle among bank ones', none, [{ period: '2026-11', currency: 'KWD' }, { period: '2026-11', currency: 'EUR' }], /2026-11 EUR.*PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET/],
  ])('%s', (_, config, cycles, expected) => {
    const refusal = settleRefusal(config, cycles);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });

  it('names the base URL the stand-in needs', () => {
    expect(missingPayPalVariables({ PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 's' })).toEqual(['PAYPAL_BASE_URL']);
    expect(missingPayPalVariables(full)).toEqual([]);
  });
});
