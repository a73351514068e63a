import { describe, expect, it } from 'vitest';
import { paypalSupports } from './currencies.ts';

describe('paypalSupports', () => {
  it.each(['EUR', 'USD', 'GBP', 'JPY', 'HUF', 'TWD', 'SEK', 'CHF', 'eur', 'SGD '])('takes %s', (currency) => {
    expect(paypalSupports(currency)).toBe(true);
  });
  it.each(['KWD', 'BHD', 'OMR', 'JOD', 'TND', 'KRW', 'ISK', 'CLP', 'RON', 'ZAR', 'XXX', ''])('does not take %s', (currency) => {
    expect(paypalSupports(currency)).toBe(false);
  });
});
