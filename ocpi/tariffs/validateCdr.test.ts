import { describe, expect, it } from 'vitest';
import { aSession, aTariff, el, pc } from './test-support/builders.ts';
import type { CdrInput, Tariff } from './types.ts';
import { validateCdr, type CdrRule, type ValidateCdrOptions } from './validateCdr.ts';

const tariff: Tariff = aTariff([el([pc('FLAT', '0.50', { vat: 20 }), pc('ENERGY', '0.25', { vat: 10 })])], { id: 'T9' });

/** A consistent CDR: 20 kWh in 2 h on an 11 kW connector, billed 5.50 / 6.10 by tariff T9. */
function aCdr(): CdrInput {
  return {
    ...aSession('2024-03-04T10:00:00Z', [{ minutes: 120, kwh: 20, tariffId: 'T9' }]),
    id: 'CDR-1',
    tariffs: [structuredClone(tariff)],
    cdr_location: { connector_power_type: 'AC_3_PHASE' },
    total_cost: { excl_vat: 5.5, incl_vat: 6.1 },
    total_fixed_cost: { excl_vat: 0.5, incl_vat: 0.6 },
    total_energy_cost: { excl_vat: 5, incl_vat: 5.5 },
    total_energy: 20,
    total_time: 2,
    total_parking_time: 0,
  };
}

const options: ValidateCdrOptions = { connector: { max_electric_power: 11_000 }, timeZone: 'Europe/Amsterdam' };
const rules = (cdr: CdrInput, opts: ValidateCdrOptions = options) => validateCdr(cdr, opts).map((f) => f.rule);

describe('validateCdr', () => {
  it('finds nothing wrong with a consistent CDR', () => {
    expect(validateCdr(aCdr(), options)).toEqual([]);
  });

  it.each<[CdrRule, string, (c: CdrInput) => void, ValidateCdrOptions?]>([
    ['end_before_start', 'the session ends before it starts', (c) => void (c.end_date_time = '2024-03-04T09:00:00Z')],
    ['period_outside_session', 'a period starts before the session', (c) => void (c.charging_periods[0]!.start_date_time = '2024-03-04T09:59:00Z')],
    ['period_outside_session', 'a period starts after the session', (c) => void c.charging_periods.push({ start_date_time: '2024-03-04T12:30:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0 }] })],
    [
      'periods_not_ordered',
      'periods out of order',
      (c) => void c.charging_periods.unshift({ start_date_time: '2024-03-04T11:00:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0 }] }),
    ],
    ['totals_mismatch', 'total_cost is not the sum of its parts', (c) => void (c.total_fixed_cost = { excl_vat: 1, incl_vat: 1.2 })],
    ['parking_time_exceeds_total_time', 'more parking than session', (c) => void (c.total_parking_time = 2.5)],
    ['energy_exceeds_connector_power', 'more energy than 11 kW gives in 2 h', (c) => void (c.total_energy = 22.5)],
    ['energy_exceeds_connector_power', 'more energy than 230 V × 16 A × 3 phases gives', (c) => void (c.total_energy = 22.2), { connector: { max_voltage: 230, max_amperage: 16 } }],
    ['currency_mismatch', 'a tariff in another currency', (c) => void (c.tariffs![0]!.currency = 'SEK')],
    ['credit_reference_missing', 'a credit CDR without reference', (c) => Object.assign(c, { credit: true, total_cost: { excl_vat: -5.5, incl_vat: -6.1 } })],
    ['credit_reference_unknown', 'a credit CDR for a CDR the hub does not know', (c) => Object.assign(c, { credit: true, credit_reference_id: 'CDR-0', total_cost: { excl_vat: -5.5, incl_vat: -6.1 } }), { ...options, creditReferenceKnown: false }],
    ['credit_totals_not_negative', 'a credit CDR with positive totals', (c) => Object.assign(c, { credit: true, credit_reference_id: 'CDR-0' })],
    ['credit_reference_without_credit', 'a reference on a normal CDR', (c) => void (c.credit_reference_id = 'CDR-0')],
    [
      'price_mismatch',
      'billed more than the tariff gives',
      (c) => Object.assign(c, { total_cost: { excl_vat: 5.6, incl_vat: 6.2 }, total_energy_cost: { excl_vat: 5.1, incl_vat: 5.6 } }),
    ],
    ['price_not_recomputable', 'a tariff that cannot be read', (c) => void (c.tariffs![0]!.elements[0]!.price_components[0]!.price = 'free' as never)],
    ['price_not_recomputable', 'a tariff with a fractional step_size', (c) => void (c.tariffs![0]!.elements[0]!.price_components[1]!.step_size = 0.5)],
    ['malformed_field', 'an amount that is not a number', (c) => void (c.total_time = 'two hours' as never)],
  ])('%s: %s', (rule, _name, breakIt, opts) => {
    const cdr = aCdr();
    breakIt(cdr);
    const found = rules(cdr, opts ?? options);
    expect(found).toContain(rule);
  });

  it.each<[string, (c: CdrInput) => void, ValidateCdrOptions?]>([
    ['a period may start exactly at the session start and end', (c) => void c.charging_periods.push({ start_date_time: '2024-03-04T12:00:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0 }] })],
    ['a total capped by the tariff\'s max_price adds up', (c) => {
      c.tariffs![0]!.max_price = { excl_vat: 5, incl_vat: 5.5 };
      Object.assign(c, { total_cost: { excl_vat: 5, incl_vat: 5.5 } });
    }],
    // min_price/max_price without incl_vat: the incl. total carries the session's VAT rate (priceLimits.ts).
    ['a total capped by a max_price without incl_vat adds up', (c) => {
      c.tariffs![0]!.max_price = { excl_vat: 5 };
      Object.assign(c, { total_cost: { excl_vat: 5, incl_vat: 5.5455 } });
    }],
    ['a total raised to a min_price without incl_vat adds up', (c) => {
      c.tariffs![0]!.min_price = { excl_vat: 8 };
      Object.assign(c, { total_cost: { excl_vat: 8, incl_vat: 8.8727 } });
    }],
    ['a tiny session raised to a min_price without incl_vat: the parts\' rounding scales with the bound', (c) => {
      const tiny = aTariff([el([pc('PARKING_TIME', '0.01', { vat: 21 })])], { id: 'T9', min_price: { excl_vat: '1.01' } });
      Object.assign(c, aSession('2024-03-04T10:00:00Z', [{ minutes: 3, kind: 'parking', tariffId: 'T9' }]), {
        tariffs: [tiny],
        total_cost: { excl_vat: 1.01, incl_vat: 1.2221 }, // 0.0005 / 0.000605 raised to 1.01 / 1.2221
        total_fixed_cost: null,
        total_energy_cost: null,
        total_parking_cost: { excl_vat: 0.0005, incl_vat: 0.0006 },
        total_energy: 0,
        total_time: 0.05,
        total_parking_time: 0.05,
      });
    }],
    ['parking up to the total time', (c) => Object.assign(c, { total_parking_time: 2 }), { timeZone: 'Europe/Amsterdam' }],
    ['energy exactly at the connector\'s limit', (c) => Object.assign(c, { total_energy: 22, charging_periods: [{ ...c.charging_periods[0]!, dimensions: [{ type: 'ENERGY', volume: 22 }, { type: 'TIME', volume: 2 }] }], total_cost: { excl_vat: 6, incl_vat: 6.65 }, total_energy_cost: { excl_vat: 5.5, incl_vat: 6.05 } })],
    ['energy within 230 V × 16 A × 3 phases', (c) => void (c.total_energy = 22), { connector: { max_voltage: 230, max_amperage: 16 } }],
    ['no connector known: energy is not checked', (c) => void (c.total_energy = 500), {}],
    ['a credit CDR with reference, negated total_cost and positive parts', (c) => Object.assign(c, { credit: true, credit_reference_id: 'CDR-0', total_cost: { excl_vat: -5.5, incl_vat: -6.1 } }), { ...options, creditReferenceKnown: true }],
    ['a difference within the tolerance', (c) => Object.assign(c, { total_cost: { excl_vat: 5.51, incl_vat: 6.11 }, total_energy_cost: { excl_vat: 5.01, incl_vat: 5.51 } })],
    ['a wider tolerance', (c) => Object.assign(c, { total_cost: { excl_vat: 5.6, incl_vat: 6.2 }, total_energy_cost: { excl_vat: 5.1, incl_vat: 5.6 } }), { ...options, tolerance: '0.10' }],
  ])('no finding: %s', (_name, adjust, opts) => {
    const cdr = aCdr();
    adjust(cdr);
    expect(validateCdr(cdr, opts ?? options)).toEqual([]);
  });

  it('price_mismatch says what was expected and what was billed', () => {
    const cdr = aCdr();
    Object.assign(cdr, { total_cost: { excl_vat: 6.5, incl_vat: 7.2 }, total_energy_cost: { excl_vat: 6, incl_vat: 6.6 } });
    expect(validateCdr(cdr, options)).toEqual([
      expect.objectContaining({
        rule: 'price_mismatch',
        severity: 'error',
        path: 'total_cost',
        expected: { excl_vat: '5.5', incl_vat: '6.1' },
        actual: { excl_vat: '6.5', incl_vat: '7.2' },
      }),
    ]);
  });

  it('recomputes against the tariffs given rather than the CDR\'s own', () => {
    const cheaper = aTariff([el([pc('ENERGY', '0.20', { vat: 10 })])], { id: 'T9' });
    expect(rules(aCdr(), { ...options, tariffs: [cheaper] })).toEqual(['price_mismatch']);
    expect(rules(aCdr(), { ...options, recomputePrice: false, tariffs: [cheaper] })).toEqual([]);
  });

  it('a credit CDR is recomputed as the negated price', () => {
    const cdr = Object.assign(aCdr(), { credit: true, credit_reference_id: 'CDR-0', total_cost: { excl_vat: -5.5, incl_vat: -6.1 } });
    expect(validateCdr(cdr, options)).toEqual([]);
  });
});
