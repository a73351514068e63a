import { describe, expect, it } from 'vitest';
import { PricingInputError } from './errors.ts';
import { priceCdr } from './price.ts';
import { aSession, aTariff, el, pc } from './test-support/builders.ts';
import type { CdrInput, PriceResult, Tariff } from './types.ts';

const lines = (r: PriceResult, dimension?: string) => r.periods.flatMap((p) => p.lines).filter((l) => !dimension || l.dimension === dimension);
const total = (r: PriceResult) => [r.total_cost.excl_vat, r.total_cost.incl_vat];
const price = (tariff: Tariff, cdr: CdrInput, timeZone: string | null = 'UTC') => priceCdr({ tariffs: tariff, cdr, timeZone });

describe('each dimension is priced and lands in its CDR cost field', () => {
  it.each([
    ['ENERGY per kWh', el([pc('ENERGY', '0.30', { vat: 21 })]), [{ minutes: 60, kwh: 10 }], 'total_energy_cost', ['3', '3.63']],
    ['TIME per hour of charging', el([pc('TIME', '2.00', { vat: 21 })]), [{ minutes: 90 }], 'total_time_cost', ['3', '3.63']],
    ['PARKING_TIME per hour parked', el([pc('PARKING_TIME', '4.00', { vat: 21 })]), [{ minutes: 10 }, { minutes: 30, kind: 'parking' }], 'total_parking_cost', ['2', '2.42']],
    ['FLAT once', el([pc('FLAT', '1.50', { vat: 21 })]), [{ minutes: 10 }, { minutes: 10 }], 'total_fixed_cost', ['1.5', '1.815']],
  ] as const)('%s', (_name, element, segments, field, expected) => {
    const r = price(aTariff([element]), aSession('2024-03-04T10:00:00Z', [...segments]));
    expect([r[field].excl_vat, r[field].incl_vat]).toEqual(expected);
    expect(total(r)).toEqual(expected);
  });

  it('reservation TIME is priced by the reservation element and lands in total_reservation_cost', () => {
    const tariff = aTariff([el([pc('TIME', '6.00', { vat: 20, step: 60 })], { reservation: 'RESERVATION' }), el([pc('TIME', '1.00')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 20, kind: 'reservation' }, { minutes: 60 }]));
    expect(r.total_reservation_cost).toEqual({ excl_vat: '2', incl_vat: '2.4' });
    expect(r.total_time_cost).toEqual({ excl_vat: '1', incl_vat: '1' });
    expect(r.total_reservation_time).toBe('0.333333333');
    expect(r.total_time).toBe('1');
  });

  it('VAT is per component: none given means no VAT, 0 means 0 %', () => {
    const tariff = aTariff([el([pc('FLAT', '1', { vat: 20 }), pc('ENERGY', '1', { vat: 0 }), pc('TIME', '1')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 1 }]));
    expect(lines(r).map((l) => [l.dimension, l.vat, l.cost.incl_vat])).toEqual([
      ['FLAT', '20', '1.2'],
      ['ENERGY', '0', '1'],
      ['TIME', null, '1'],
    ]);
    expect(total(r)).toEqual(['3', '3.2']);
  });

  it('reports measured totals and a breakdown per period', () => {
    const tariff = aTariff([el([pc('ENERGY', '0.25', { vat: 10 })])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: '10.5' }, { minutes: 30, kind: 'parking' }]));
    expect([r.total_energy, r.total_time, r.total_parking_time]).toEqual(['10.5', '1.5', '0.5']);
    expect(r.periods.map((p) => [p.index, p.start_date_time, p.end_date_time])).toEqual([
      [0, '2024-03-04T10:00:00Z', '2024-03-04T11:00:00Z'],
      [1, '2024-03-04T11:00:00Z', '2024-03-04T11:30:00Z'],
    ]);
    expect(lines(r, 'PARKING_TIME')[0]).toMatchObject({ element_index: null, cost: { excl_vat: '0', incl_vat: '0' } });
  });
});

describe('time of day, days and dates in a session', () => {
  const night = aTariff([el([pc('ENERGY', '0.20')], { start_time: '22:00', end_time: '06:00' }), el([pc('ENERGY', '0.40')])]);
  const weekend = aTariff([el([pc('ENERGY', '0.25')], { day_of_week: ['SATURDAY', 'SUNDAY'] }), el([pc('ENERGY', '0.35')])]);
  const hourly = (start: string, n: number, kwh: number) => aSession(start, Array.from({ length: n }, () => ({ minutes: 60, kwh })));

  it.each([
    ['a night window wrapping past midnight', night, hourly('2024-03-04T21:00:00Z', 4, 5), 'UTC', ['0.4', '0.2', '0.2', '0.2'], '5'],
    ['the night window ends at 06:00', night, hourly('2024-03-05T05:00:00Z', 2, 5), 'UTC', ['0.2', '0.4'], '3'],
    ['a session from Friday into Saturday changes day', weekend, hourly('2024-03-08T23:00:00Z', 2, 10), 'UTC', ['0.35', '0.25'], '6'],
    ['the day is read in the local zone, not UTC', weekend, hourly('2024-03-08T23:30:00Z', 1, 10), 'Europe/Amsterdam', ['0.25'], '2.5'],
    ['…and in UTC that is still Friday', weekend, hourly('2024-03-08T23:30:00Z', 1, 10), 'UTC', ['0.35'], '3.5'],
    [
      'a date range: from start_date (inclusive) to end_date (exclusive)',
      aTariff([el([pc('ENERGY', '0.10')], { start_date: '2024-12-25', end_date: '2024-12-26' }), el([pc('ENERGY', '0.30')])]),
      aSession('2024-12-24T23:00:00Z', [{ minutes: 60, kwh: 1 }, { minutes: 1440, kwh: 1 }, { minutes: 60, kwh: 1 }]),
      'UTC',
      ['0.3', '0.1', '0.3'],
      '0.7',
    ],
  ] as const)('%s', (_name, tariff, cdr, zone, prices, excl) => {
    const r = price(tariff, cdr, zone);
    expect(lines(r, 'ENERGY').map((l) => l.price)).toEqual(prices);
    expect(r.total_cost.excl_vat).toBe(excl);
  });
});

describe('DST in Europe/Amsterdam', () => {
  it('spring forward: a boundary inside the missing hour (02:30) takes effect at 03:00 CEST', () => {
    const tariff = aTariff([el([pc('ENERGY', '0.10')], { start_time: '02:30', end_time: '05:00' }), el([pc('ENERGY', '0.30')])]);
    // 00:00Z = 01:00 CET, 00:30Z = 01:30 CET, 01:00Z = 03:00 CEST.
    const r = price(tariff, aSession('2024-03-31T00:00:00Z', [{ minutes: 30, kwh: 1 }, { minutes: 30, kwh: 1 }, { minutes: 60, kwh: 1 }]), 'Europe/Amsterdam');
    expect(r.periods.map((p) => p.local_start)).toEqual(['2024-03-31T01:00:00+01:00 SUNDAY', '2024-03-31T01:30:00+01:00 SUNDAY', '2024-03-31T03:00:00+02:00 SUNDAY']);
    expect(lines(r, 'ENERGY').map((l) => l.price)).toEqual(['0.3', '0.3', '0.1']);
  });

  it('fall back: the repeated hour is read on the wall clock, so a boundary inside it (02:30) is crossed twice', () => {
    const tariff = aTariff([el([pc('ENERGY', '0.10')], { end_time: '02:30' }), el([pc('ENERGY', '0.30')])]);
    // 00:00Z = 02:00 CEST, 00:30Z = 02:30 CEST, 01:00Z = 02:00 CET, 01:30Z = 02:30 CET.
    const r = price(tariff, aSession('2024-10-27T00:00:00Z', [30, 30, 30, 30].map((minutes) => ({ minutes, kwh: 1 }))), 'Europe/Amsterdam');
    expect(lines(r, 'ENERGY').map((l) => l.price)).toEqual(['0.1', '0.3', '0.1', '0.3']);
    expect(r.total_cost.excl_vat).toBe('0.8');
  });

  it('durations are elapsed time: max_duration 1 h ends one real hour in, across spring-forward', () => {
    const tariff = aTariff([el([pc('TIME', '0')], { max_duration: 3600 }), el([pc('TIME', '3')])]);
    const r = price(tariff, aSession('2024-03-31T00:30:00Z', [{ minutes: 60 }, { minutes: 60 }]), 'Europe/Amsterdam');
    expect(lines(r, 'TIME').map((l) => l.element_index)).toEqual([0, 1]);
    expect(r.total_cost.excl_vat).toBe('3');
  });

  it('a day_of_week session over the 25-hour day stays on Sunday until local midnight', () => {
    const tariff = aTariff([el([pc('ENERGY', '0.10')], { day_of_week: ['SUNDAY'] }), el([pc('ENERGY', '0.30')])]);
    // 2024-10-27T22:30Z = 23:30 CET Sunday; 23:00Z = 00:00 Monday.
    const r = price(tariff, aSession('2024-10-27T22:30:00Z', [{ minutes: 30, kwh: 1 }, { minutes: 30, kwh: 1 }]), 'Europe/Amsterdam');
    expect(lines(r, 'ENERGY').map((l) => l.price)).toEqual(['0.1', '0.3']);
  });
});

describe('min_price and max_price', () => {
  const energy = (extra: Partial<Tariff>) => aTariff([el([pc('FLAT', '1', { vat: 20 }), pc('ENERGY', '0.50', { vat: 20 })])], extra);
  const kwh = (n: number) => aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: n }]);
  it.each([
    ['min_price raises a cheap session (excl and incl independently)', energy({ min_price: { excl_vat: 5, incl_vat: 5.5 } }), 2, ['5', '5.5'], { excl_vat: 'min_price', incl_vat: 'min_price' }],
    ['min_price below the total: nothing applied', energy({ min_price: { excl_vat: 5, incl_vat: 5.5 } }), 20, ['11', '13.2'], { excl_vat: null, incl_vat: null }],
    ['max_price caps an expensive session', energy({ max_price: { excl_vat: 10, incl_vat: 11 } }), 40, ['10', '11'], { excl_vat: 'max_price', incl_vat: 'max_price' }],
    ['max_price above the total: nothing applied', energy({ max_price: { excl_vat: 100, incl_vat: 110 } }), 40, ['21', '25.2'], { excl_vat: null, incl_vat: null }],
    ['only incl. VAT bound reached', energy({ max_price: { excl_vat: 21, incl_vat: 24 } }), 40, ['21', '24'], { excl_vat: null, incl_vat: 'max_price' }],
    ['a bound without incl_vat scales incl. by the session\'s VAT rate', energy({ max_price: { excl_vat: 10 } }), 40, ['10', '12'], { excl_vat: 'max_price', incl_vat: 'max_price' }],
    ['both bounds: total inside', energy({ min_price: { excl_vat: 2, incl_vat: 2.4 }, max_price: { excl_vat: 10, incl_vat: 12 } }), 4, ['3', '3.6'], { excl_vat: null, incl_vat: null }],
  ] as const)('%s', (_name, tariff, n, expected, applied) => {
    const r = price(tariff, kwh(n));
    expect(total(r)).toEqual(expected);
    expect(r.price_limits?.applied).toEqual(applied);
  });

  it('per-dimension totals stay what the lines add up to; only total_cost is bounded', () => {
    const r = price(energy({ max_price: { excl_vat: 10, incl_vat: 11 } }), kwh(40));
    expect(r.total_energy_cost).toEqual({ excl_vat: '20', incl_vat: '24' });
    expect(r.price_limits?.total_before_limits).toEqual({ excl_vat: '21', incl_vat: '25.2' });
  });

  it('min_price without incl_vat on a session that cost nothing bills it without VAT', () => {
    const r = price(aTariff([el([pc('ENERGY', '0.50', { vat: 20 })])], { min_price: { excl_vat: 1 } }), kwh(0));
    expect(total(r)).toEqual(['1', '1']);
  });
});

describe('zero-price tariffs', () => {
  it('the spec\'s free-of-charge tariff (FLAT 0, step_size 0) costs nothing', () => {
    const free = aTariff([el([{ type: 'FLAT', price: 0, step_size: 0 }])]);
    const r = price(free, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 20 }, { minutes: 30, kind: 'parking' }]));
    for (const field of ['total_cost', 'total_fixed_cost', 'total_energy_cost', 'total_time_cost', 'total_parking_cost', 'total_reservation_cost'] as const) {
      expect(r[field]).toEqual({ excl_vat: '0', incl_vat: '0' });
    }
    expect(lines(r, 'FLAT')).toHaveLength(1);
  });

  it('a zero-priced component still prices its volume (so the next element is not used)', () => {
    const tariff = aTariff([el([pc('ENERGY', 0, { vat: 20 })], { max_kwh: 10 }), el([pc('ENERGY', '0.40', { vat: 20 })])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 30, kwh: 10 }, { minutes: 30, kwh: 5 }]));
    expect(lines(r, 'ENERGY').map((l) => [l.element_index, l.cost.excl_vat])).toEqual([
      [0, '0'],
      [1, '2'],
    ]);
  });
});

describe('FLAT is billed once per session', () => {
  const s = (start: string, n = 2) => aSession(start, Array.from({ length: n }, () => ({ minutes: 60, kwh: 3 })));
  it.each([
    ['two unrestricted FLAT elements: only the first', aTariff([el([pc('FLAT', '1')]), el([pc('FLAT', '2')])]), s('2024-03-04T10:00:00Z'), '1', 0],
    ['morning fee for a morning start', aTariff([el([pc('FLAT', '1')], { end_time: '12:00' }), el([pc('FLAT', '2')])]), s('2024-03-04T11:00:00Z'), '1', 0],
    ['…not again when the session runs into the afternoon', aTariff([el([pc('FLAT', '1')], { end_time: '12:00' }), el([pc('FLAT', '2')])]), s('2024-03-04T11:00:00Z', 3), '1', 0],
    ['afternoon fee for an afternoon start', aTariff([el([pc('FLAT', '1')], { end_time: '12:00' }), el([pc('FLAT', '2')])]), s('2024-03-04T13:00:00Z'), '2', 0],
    ['a FLAT that becomes active later in the session is billed then', aTariff([el([pc('FLAT', '5')], { min_kwh: 5 })]), s('2024-03-04T10:00:00Z', 3), '5', 2],
    ['a FLAT that never becomes active is not billed', aTariff([el([pc('FLAT', '5')], { min_kwh: 50 }), el([pc('ENERGY', 0)])]), s('2024-03-04T10:00:00Z', 3), '0', null],
  ] as const)('%s', (_name, tariff, cdr, fixed, period) => {
    const r = price(tariff, cdr);
    expect(r.total_fixed_cost.excl_vat).toBe(fixed);
    expect(r.periods.findIndex((p) => p.lines.some((l) => l.dimension === 'FLAT'))).toBe(period ?? -1);
  });

  it('a reservation fee and a start fee are two FLATs (tariff_16); an expired reservation has no start fee', () => {
    const tariff = aTariff([el([pc('FLAT', '2')], { reservation: 'RESERVATION' }), el([pc('FLAT', '0.5')])]);
    const used = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 10, kind: 'reservation' }, { minutes: 60, kwh: 10 }]));
    expect([used.total_reservation_cost.excl_vat, used.total_fixed_cost.excl_vat]).toEqual(['2', '0.5']);
    const expired = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 30, kind: 'reservation' }]));
    expect([expired.reservation, expired.total_reservation_cost.excl_vat, expired.total_fixed_cost.excl_vat]).toEqual(['expired', '2', '0']);
  });

  it('the caller can say a reservation expired', () => {
    const tariff = aTariff([el([pc('FLAT', '4')], { reservation: 'RESERVATION_EXPIRES' }), el([pc('FLAT', '1')], { reservation: 'RESERVATION' })]);
    const cdr = aSession('2024-03-04T10:00:00Z', [{ minutes: 30, kind: 'reservation' }]);
    expect(priceCdr({ tariffs: tariff, cdr, reservationExpired: false }).total_cost.excl_vat).toBe('1');
    expect(priceCdr({ tariffs: tariff, cdr }).total_cost.excl_vat).toBe('4');
  });
});

describe('restrictions on measured values select per period', () => {
  it.each([
    ['max_current', { max_current: 32 }, [{ MAX_CURRENT: 16 }, { MAX_CURRENT: 48 }], [0, 1]],
    ['min_current', { min_current: 32 }, [{ MIN_CURRENT: 16 }, { MIN_CURRENT: 32 }], [1, 0]],
    ['max_power', { max_power: 22 }, [{ MAX_POWER: 11 }, { POWER: 50 }], [0, 1]],
    ['min_power', { min_power: 50 }, [{ MIN_POWER: 49.9 }, { MIN_POWER: 50 }], [1, 0]],
    ['min_kwh (energy before the period)', { min_kwh: 10 }, [{}, {}], [1, 0]],
    ['max_kwh (energy before the period)', { max_kwh: 10 }, [{}, {}], [0, 1]],
    ['min_duration', { min_duration: 3600 }, [{}, {}], [1, 0]],
    ['max_duration', { max_duration: 3600 }, [{}, {}], [0, 1]],
  ] as const)('%s', (_name, restrictions, dims, elements) => {
    const tariff = aTariff([el([pc('TIME', '1'), pc('ENERGY', '1')], restrictions), el([pc('TIME', '2'), pc('ENERGY', '2')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', dims.map((d) => ({ minutes: 60, kwh: 10, dims: d }))));
    expect(lines(r, 'TIME').map((l) => l.element_index)).toEqual(elements);
    expect(lines(r, 'ENERGY').map((l) => l.element_index)).toEqual(elements);
  });

  it('selection is per dimension: TIME and ENERGY may come from different elements', () => {
    const tariff = aTariff([el([pc('TIME', '1')], { max_power: 22 }), el([pc('ENERGY', '0.3')]), el([pc('TIME', '3')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 10, dims: { MAX_POWER: 11 } }]));
    expect(lines(r).map((l) => [l.dimension, l.element_index])).toEqual([
      ['ENERGY', 1],
      ['TIME', 0],
    ]);
  });
});

describe('which tariff, which time zone', () => {
  const a = aTariff([el([pc('ENERGY', '0.10')])], { id: 'A', end_date_time: '2020-01-01T00:00:00Z' });
  const b = aTariff([el([pc('ENERGY', '0.20')])], { id: 'B', start_date_time: '2020-01-01T00:00:00Z' });
  const c = aTariff([el([pc('ENERGY', '0.30')])], { id: 'C' });
  const cdr = aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 10 }]);
  it.each([
    ['the one the CDR references', [a, b, c], { ...cdr, charging_periods: cdr.charging_periods.map((p) => ({ ...p, tariff_id: 'C' })) }, undefined, 'C', 'referenced_by_cdr'],
    ['the first valid at the session start', [a, b, c], cdr, undefined, 'B', 'valid_at_session_start'],
    ['the one asked for', [a, b, c], cdr, 'C', 'C', 'requested'],
    ['the only one', [c], cdr, undefined, 'C', 'only_candidate'],
    ['the only one, even when not valid (a warning says so)', [a], cdr, undefined, 'A', 'only_candidate'],
  ] as const)('%s', (_name, tariffs, input, tariffId, id, reason) => {
    const r = priceCdr({ tariffs: [...tariffs], cdr: input, tariffId });
    expect([r.tariff.id, r.tariff.reason]).toEqual([id, reason]);
  });

  it('warns when the tariff used is not valid at the session start or in another currency', () => {
    const r = priceCdr({ tariffs: [a, { ...b, id: 'D', currency: 'SEK', start_date_time: null }], cdr });
    expect(r.tariff).toMatchObject({ id: 'A', reason: 'first_candidate' });
    expect(priceCdr({ tariffs: a, cdr }).warnings.map((w) => w.code)).toEqual(['tariff_not_valid_at_session_start']);
    expect(priceCdr({ tariffs: { ...c, currency: 'SEK' }, cdr }).warnings.map((w) => w.code)).toEqual(['currency_mismatch']);
  });

  it('falls back to the CDR\'s own tariffs', () => {
    expect(priceCdr({ cdr: { ...cdr, tariffs: [c] } }).tariff.id).toBe('C');
    expect(() => priceCdr({ cdr })).toThrow(/no tariff to price with/);
  });

  it.each([
    ['given with the request', { timeZone: 'Europe/Amsterdam' }, {}, 'Europe/Amsterdam', 'input'],
    ['the request wins over the CDR', { timeZone: 'Europe/Amsterdam' }, { time_zone: 'Asia/Tokyo' }, 'Europe/Amsterdam', 'input'],
    ['the CDR\'s time_zone', {}, { time_zone: 'Asia/Tokyo' }, 'Asia/Tokyo', 'cdr'],
    ['cdr_location.time_zone', {}, { cdr_location: { time_zone: 'Asia/Tokyo' } }, 'Asia/Tokyo', 'cdr'],
    ['UTC, saying so', {}, {}, 'UTC', 'utc_fallback'],
  ] as const)('time zone: %s', (_name, input, extra, zone, source) => {
    const r = priceCdr({ tariffs: c, cdr: { ...cdr, ...extra }, ...input });
    expect([r.time_zone, r.time_zone_source]).toEqual([zone, source]);
  });

  it('warns when UTC was assumed for a tariff that reads local time', () => {
    const local = aTariff([el([pc('ENERGY', '0.1')], { start_time: '22:00', end_time: '06:00' }), el([pc('ENERGY', '0.3')])]);
    expect(priceCdr({ tariffs: local, cdr }).warnings.map((w) => w.code)).toEqual(['utc_fallback_with_local_restrictions']);
    expect(priceCdr({ tariffs: c, cdr }).warnings).toEqual([]);
  });
});

describe('what the result warns about', () => {
  it('a period that runs past a restriction boundary is priced by its start, with a warning', () => {
    const tariff = aTariff([el([pc('TIME', '1')], { end_time: '17:00' }), el([pc('TIME', '2')])]);
    const r = price(tariff, aSession('2024-03-04T16:30:00Z', [{ minutes: 60 }]));
    expect(r.total_cost.excl_vat).toBe('1');
    expect(r.warnings).toMatchObject([{ code: 'period_crosses_restriction_boundary', period_index: 0 }]);
  });

  it.each([
    ['runs over a whole time window (16:00–21:00 over 17:00–20:00)', aTariff([el([pc('TIME', '10')], { start_time: '17:00', end_time: '20:00' }), el([pc('TIME', '1')])]), 300, '5', '2024-03-04T17:00:00+00:00 MONDAY'],
    ['lasts a whole day (10:00–10:00 over 17:00–20:00)', aTariff([el([pc('TIME', '10')], { start_time: '17:00', end_time: '20:00' }), el([pc('TIME', '1')])]), 1440, '24', '2024-03-04T17:00:00+00:00 MONDAY'],
    ['runs over a whole duration window (30–60 min in a 2 h period)', aTariff([el([pc('TIME', '10')], { min_duration: 1800, max_duration: 3600 }), el([pc('TIME', '1')])]), 120, '2', '2024-03-04T16:30:00+00:00 MONDAY'],
  ])('a period that %s is priced by its start, with a warning naming where the price changes', (_name, tariff, minutes, cost, at) => {
    const start = minutes === 1440 ? '2024-03-04T10:00:00Z' : '2024-03-04T16:00:00Z';
    const r = price(tariff, aSession(start, [{ minutes }]));
    expect(r.total_cost.excl_vat).toBe(cost);
    expect(r.warnings).toMatchObject([{ code: 'period_crosses_restriction_boundary', period_index: 0 }]);
    expect(r.warnings[0]!.message).toContain(at);
  });

  it('a period inside the repeated fall-back hour that reaches a boundary read on the second pass of the wall clock has the warning too', () => {
    // 2024-10-27 Europe/Amsterdam: 00:45Z is 02:45 CEST, 01:00Z is 02:00 CET, 01:45Z is 02:45 CET.
    const tariff = aTariff([el([pc('TIME', '10')], { start_time: '02:00', end_time: '02:30' }), el([pc('TIME', '1')])]);
    const r = price(tariff, aSession('2024-10-27T00:45:00Z', [{ minutes: 60 }]), 'Europe/Amsterdam');
    expect(r.total_cost.excl_vat).toBe('1');
    expect(r.warnings).toMatchObject([{ code: 'period_crosses_restriction_boundary', period_index: 0 }]);
    expect(r.warnings[0]!.message).toContain('2024-10-27T02:00:00+01:00 SUNDAY');
  });

  it('a period whose energy runs past a max_kwh or min_kwh is priced by the energy at its start, with a warning', () => {
    const tariff = aTariff([el([pc('ENERGY', '0.20')], { max_kwh: 20 }), el([pc('ENERGY', '0.30')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 15 }, { minutes: 60, kwh: 15 }]));
    expect(r.total_cost.excl_vat).toBe('6');
    expect(r.warnings).toMatchObject([{ code: 'period_crosses_restriction_boundary', period_index: 1 }]);
    expect(r.warnings[0]!.message).toContain('20 kWh');
    // Reaching the bound exactly at the period's end is not crossing it.
    expect(price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 20 }, { minutes: 60, kwh: 5 }])).warnings).toEqual([]);
  });

  it('a current restriction without current in the CDR', () => {
    const tariff = aTariff([el([pc('TIME', '1')], { max_current: 32 }), el([pc('TIME', '2')])]);
    const r = price(tariff, aSession('2024-03-04T10:00:00Z', [{ minutes: 60 }]));
    expect(r.total_cost.excl_vat).toBe('2');
    expect(r.warnings.map((w) => w.code)).toEqual(['restriction_not_evaluable']);
  });

  it('periods out of order are priced in time order', () => {
    const tariff = aTariff([el([pc('ENERGY', '1')], { max_kwh: 5 }), el([pc('ENERGY', '2')])]);
    const cdr = aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 5 }, { minutes: 60, kwh: 5 }]);
    cdr.charging_periods.reverse();
    const r = price(tariff, cdr);
    expect(r.periods.map((p) => p.index)).toEqual([1, 0]);
    expect(r.total_cost.excl_vat).toBe('15');
    expect(r.warnings.map((w) => w.code)).toEqual(['periods_reordered']);
  });

  it('a CDR without time dimensions: each period\'s length is charging TIME', () => {
    const r = price(aTariff([el([pc('TIME', '2')])]), aSession('2024-03-04T10:00:00Z', [{ minutes: 45, kwh: 5, noTime: true }]));
    expect(lines(r, 'TIME')[0]).toMatchObject({ volume: '0.75', volume_source: 'period_duration' });
    expect(r.total_cost.excl_vat).toBe('1.5');
    expect(r.warnings.map((w) => w.code)).toEqual(['time_derived_from_periods']);
  });
});

describe('input it cannot price is refused, naming the field', () => {
  const t = aTariff([el([pc('ENERGY', '0.25')])]);
  const cdr = aSession('2024-03-04T10:00:00Z', [{ minutes: 60, kwh: 10 }]);
  it.each([
    ['start_date_time', { cdr: { ...cdr, start_date_time: 'soon' } }, 'cdr.start_date_time'],
    ['end before start', { cdr: { ...cdr, end_date_time: '2024-03-04T09:00:00Z' } }, 'cdr.end_date_time'],
    ['currency', { cdr: { ...cdr, currency: '' } }, 'cdr.currency'],
    ['no periods', { cdr: { ...cdr, charging_periods: [] } }, 'cdr.charging_periods'],
    ['a volume', { cdr: { ...cdr, charging_periods: [{ start_date_time: cdr.start_date_time, dimensions: [{ type: 'ENERGY', volume: 'ten' }] }] } }, 'cdr.charging_periods[0].dimensions[0].volume'],
    ['a price', { tariffs: aTariff([el([{ type: 'ENERGY', step_size: 1 } as never])]) }, 'tariff.elements[0].price_components[0].price'],
    ['a step_size', { tariffs: aTariff([el([{ type: 'ENERGY', price: 1 } as never])]) }, 'tariff.elements[0].price_components[0].step_size'],
    ['a step_size that is not an integer (int in the spec)', { tariffs: aTariff([el([pc('ENERGY', 1, { step: 1.5 })])]) }, 'tariff.elements[0].price_components[0].step_size'],
    ['a dimension type', { tariffs: aTariff([el([{ type: 'KWH', price: 1, step_size: 1 } as never])]) }, 'tariff.elements[0].price_components[0].type'],
    ['no elements', { tariffs: aTariff([]) }, 'tariff.elements'],
    ['a restriction', { tariffs: aTariff([el([pc('ENERGY', 1)], { start_time: '7am' })]) }, 'tariff.elements[0].restrictions.start_time'],
    ['the time zone', { timeZone: 'Europe/Atlantis' }, 'time_zone'],
  ])('%s', (_name, override, path) => {
    const input = { tariffs: t, cdr, ...override } as Parameters<typeof priceCdr>[0];
    let error: unknown;
    try {
      priceCdr(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PricingInputError);
    expect((error as PricingInputError).path).toBe(path);
  });
});
