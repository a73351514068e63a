import { describe, expect, it } from 'vitest';
import { statementAmount, utcMinute } from './format.ts';

describe('statementAmount', () => {
  it.each([
    ['-3630.0000', 'JPY', '-3630'],
    ['3629.5000', 'JPY', '3629.5'],
    ['-72.6000', 'EUR', '-72.60'],
    ['0.0040', 'EUR', '0.004'],
    ['0.0000', 'EUR', '0.00'],
    ['-12.1060', 'KWD', '-12.106'],
    ['12.1000', 'KWD', '12.100'],
    ['7', 'EUR', '7.00'],
  ])('%s %s is %s', (value, currency, shown) => {
    expect(statementAmount(value, currency)).toBe(shown);
  });
});

describe('utcMinute', () => {
  it('says the zone', () => expect(utcMinute('2026-11-21T14:03:27.123Z')).toBe('2026-11-21 14:03 UTC'));
});
