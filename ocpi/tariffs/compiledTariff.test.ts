import { describe, expect, it } from 'vitest';
import { compileTariff } from './compiledTariff.ts';
import { priceCdr } from './price.ts';
import { aSession, aTariff, el, pc } from './test-support/builders.ts';

const tariff = () => aTariff([el([pc('ENERGY', '0.30', { vat: 21 })]), el([pc('TIME', '2.00')])]);

describe('a tariff is compiled once and stays as it was given', () => {
  it('compiling the same tariff again gives the same compiled form', () => {
    const t = tariff();
    expect(compileTariff(t)).toBe(compileTariff(t));
    // Identity, not content: an equal copy is compiled on its own.
    expect(compileTariff(structuredClone(t))).not.toBe(compileTariff(t));
  });

  it('leaves no trace in the tariff: JSON, keys, spreads and equality are as before', () => {
    const t = tariff();
    const before = JSON.stringify(t);
    compileTariff(t);
    expect(JSON.stringify(t)).toBe(before);
    expect(Object.keys(t)).toEqual(Object.keys(JSON.parse(before)));
    expect({ ...t }).toEqual(JSON.parse(before));
    expect(t).toStrictEqual(tariff());
  });

  it('a frozen tariff is priced like any other (compiled each time, not refused)', () => {
    const frozen = Object.freeze(tariff());
    const session = aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 10 }]);
    expect(compileTariff(frozen)).toEqual(compileTariff(tariff()));
    expect(priceCdr({ tariffs: frozen, cdr: session, timeZone: 'UTC' }).total_cost).toEqual(priceCdr({ tariffs: tariff(), cdr: session, timeZone: 'UTC' }).total_cost);
  });
});
