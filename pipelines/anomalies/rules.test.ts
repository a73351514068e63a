import { describe, expect, it } from 'vitest';
import { cdrRows, type CdrRow } from '../ingest/transform.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import type { Tariff } from '../../ocpi/tariffs/types.ts';
import { checkPrice, connectorPowerW, dayNumber, dayString, defaultRuleSettings, driftDayVerdict, driftFindings, duplicateSessionFinding, firstUnjudgedDay, judge, mad, median, overlapFinding, ppkFinding, takenBackByCredits, singleCdrFindings, withdrawalReason, type CdrLite, type DailyVolume, type HubTariff, type PriceCheck } from './rules.ts';

const tariff: Tariff = { country_code: 'NL', party_id: 'CPA', id: 'T1', currency: 'EUR', elements: [{ price_components: [{ type: 'ENERGY', price: 0.3, vat: 21, step_size: 1 }] }] };
/** A tariff version the hub holds, by default one in force long before aCdr()'s session. */
const held = (t: Tariff, lastUpdated = '2026-01-01T00:00:00Z'): HubTariff => ({ tariff: t, lastUpdated: Date.parse(lastUpdated) / 1000 });

function aCdr(overrides: Record<string, any> = {}): Record<string, any> {
  return {
    country_code: 'NL',
    party_id: 'CPA',
    id: 'CDR1',
    start_date_time: '2026-01-10T10:00:00Z',
    end_date_time: '2026-01-10T12:00:00Z',
    session_id: 'S1',
    cdr_token: { country_code: 'NL', party_id: 'MSA', uid: 'TOK1', type: 'RFID', contract_id: 'C1' },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'LOC1', evse_uid: 'E1', evse_id: 'NL*CPA*E1', connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' }, connector_standard: 'IEC_62196_T2', connector_format: 'SOCKET' },
    currency: 'EUR',
    charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 20 }, { type: 'TIME', volume: 2 }], tariff_id: 'T1' }],
    total_cost: { excl_vat: 6, incl_vat: 7.26 },
    total_energy: 20,
    total_time: 2,
    last_updated: '2026-01-10T12:01:00Z',
    ...overrides,
  };
}

function rowOf(cdr: Record<string, any>, acceptedAt = '2026-01-10T12:05:00Z', seq = 1): CdrRow {
  const message = { module: 'cdrs', event: 'post', path: [], body: cdr, object_key: 'k', sender: { country_code: 'NL', party_id: 'CPA' }, from: { country_code: 'NL', party_id: 'CPA' }, receiver: { country_code: 'NL', party_id: 'MSA' }, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: acceptedAt } as OcpiPushMessage;
  return cdrRows(message, { seq, ingestedAt: 0 }).cdr;
}

const types = (cdr: Record<string, any>, opts: { power?: number | null; held?: HubTariff | null; accepted?: string; lateCdrDays?: number } = {}) => {
  const price = checkPrice(cdr as any, opts.held === undefined ? held(tariff) : opts.held, 'Europe/Amsterdam', 'T1');
  const settings = { ...defaultRuleSettings, lateCdrDays: opts.lateCdrDays ?? defaultRuleSettings.lateCdrDays };
  return singleCdrFindings(rowOf(cdr, opts.accepted), { connectorPowerW: opts.power === undefined ? 22_000 : opts.power, price }, settings).map((f) => f.type).sort();
};

/** Acceptance `days` days and an hour after the session of aCdr() ended (2026-01-10T12:00Z). */
const daysAfterSession = (days: number) => new Date(Date.parse('2026-01-10T12:00:00Z') + days * 86_400_000 + 3_600_000).toISOString();

describe('per-CDR rules', () => {
  it.each([
    ['a correctly billed CDR', aCdr(), {}, []],
    ['billed above the tariff', aCdr({ total_cost: { excl_vat: 7.5, incl_vat: 9 } }), {}, ['price_mismatch']],
    ['billed within a cent of the tariff', aCdr({ total_cost: { excl_vat: 6.009, incl_vat: 7.27 } }), {}, []],
    ['a zero total (not also a price mismatch)', aCdr({ total_cost: { excl_vat: 0, incl_vat: 0 } }), {}, ['non_positive_total']],
    ['a negative total outside a credit CDR', aCdr({ total_cost: { excl_vat: -3, incl_vat: -3 } }), {}, ['non_positive_total']],
    ['a credit CDR with a negative total', aCdr({ credit: true, credit_reference_id: 'X', total_cost: { excl_vat: -6, incl_vat: -7.26 } }), {}, []],
    ['more energy than 22 kW for 2 h', aCdr({ total_energy: 60, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 60 }], tariff_id: 'T1' }], total_cost: { excl_vat: 18, incl_vat: 21.78 } }), {}, ['impossible_energy']],
    ['energy judged against the power type when the connector is unknown', aCdr({ total_energy: 100, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 100 }], tariff_id: 'T1' }], total_cost: { excl_vat: 30, incl_vat: 36.3 } }), { power: null }, ['impossible_energy']],
    ['energy with zero charging time (not also impossible energy)', aCdr({ total_time: 0 }), {}, ['energy_without_time']],
    ['energy in a session that ends when it starts', aCdr({ end_date_time: '2026-01-10T10:00:00Z' }), {}, ['energy_without_time']],
    ['a CDR 120 days after its session', aCdr(), { accepted: '2026-05-10T12:00:00Z' }, ['late_cdr']],
    ['a CDR 80 days after its session', aCdr(), { accepted: '2026-03-31T12:00:00Z' }, []],
    ['a credit CDR 120 days after its session (a correction, not late)', aCdr({ credit: true, credit_reference_id: 'X', total_cost: { excl_vat: -6, incl_vat: -7.26 } }), { accepted: '2026-05-10T12:00:00Z' }, []],
  ])('%s', (_name, cdr, opts, expected) => {
    expect(types(cdr, opts)).toEqual(expected);
  });

  it.each([
    ['89 days late, limit 90 (default)', 89, undefined, []],
    ['91 days late, limit 90 (default)', 91, undefined, ['late_cdr']],
    ['29 days late, limit 30', 29, 30, []],
    ['31 days late, limit 30', 31, 30, ['late_cdr']],
    ['91 days late, limit 120', 91, 120, []],
  ])('late CDR: %s', (_name, days, lateCdrDays, expected) => {
    expect(types(aCdr(), { accepted: daysAfterSession(days), lateCdrDays })).toEqual(expected);
  });

  it.each([
    ['max_electric_power when known', { power_type: 'AC_3_PHASE', max_voltage: 230, max_amperage: 16, max_electric_power: 22_000 }, 22_000],
    ['three phases × line-to-neutral voltage × amperage without it', { power_type: 'AC_3_PHASE', max_voltage: 230, max_amperage: 32, max_electric_power: 0 }, 22_080],
    ['one phase', { power_type: 'AC_1_PHASE', max_voltage: 230, max_amperage: 16, max_electric_power: 0 }, 3_680],
    ['DC', { power_type: 'DC', max_voltage: 500, max_amperage: 100, max_electric_power: 0 }, 50_000],
    ['unknown without the amperage', { power_type: 'AC_3_PHASE', max_voltage: 230, max_amperage: 0, max_electric_power: 0 }, null],
    ['unknown without the power type', { power_type: '', max_voltage: 230, max_amperage: 16, max_electric_power: 0 }, null],
  ])('connector power: %s', (_name, connector, expected) => {
    expect(connectorPowerW(connector)).toBe(expected);
  });

  it('prices with the tariff embedded in the CDR when the hub has none, and says so', () => {
    expect(checkPrice(aCdr({ tariffs: [tariff] }) as any, null, null, 'T1')).toMatchObject({ kind: 'matches', source: 'cdr' });
    expect(checkPrice(aCdr({ tariffs: [tariff] }) as any, held(tariff), null, 'T1')).toMatchObject({ kind: 'matches', source: 'hub' });
    expect(checkPrice(aCdr() as any, null, null, 'T1').kind).toBe('unpriceable');
  });

  describe('a tariff the hub holds in a version newer than the session (T1: 0.30/kWh, 0.35 from 1 February)', () => {
    const v2 = held({ ...tariff, elements: [{ price_components: [{ type: 'ENERGY', price: 0.35, vat: 21, step_size: 1 }] }] }, '2026-02-01T00:00:00Z');
    /** A 20 kWh session starting at `start`, billed `excl` (excl. VAT), accepted on 1 or 3 February. */
    const session = (start: string, excl: number, embedded?: Tariff[]) =>
      aCdr({ start_date_time: start, end_date_time: start.replace('T10', 'T12'), charging_periods: [{ start_date_time: start, dimensions: [{ type: 'ENERGY', volume: 20 }, { type: 'TIME', volume: 2 }], tariff_id: 'T1' }], total_cost: { excl_vat: excl, incl_vat: excl * 1.21 }, ...(embedded ? { tariffs: embedded } : {}) });

    it.each([
      ['a 31 January session billed at 0.30 with T1 as it was then: priced with its own copy', session('2026-01-31T10:00:00Z', 6, [tariff]), '2026-02-01T09:00:00Z', [], { kind: 'matches', source: 'cdr' }],
      ['a 31 January session billed at 0.40 with T1 as it was then: a mismatch with its own copy', session('2026-01-31T10:00:00Z', 8, [tariff]), '2026-02-01T09:00:00Z', ['price_mismatch'], { kind: 'mismatch', expected: '6.0000', source: 'cdr' }],
      ['a 31 January session without a copy of T1: cannot be priced', session('2026-01-31T10:00:00Z', 6), '2026-02-01T09:00:00Z', [], { kind: 'unpriceable', reason: expect.stringContaining('updated after the session started') }],
      ['a 2 February session billed at the new 0.35: matches the hub', session('2026-02-02T10:00:00Z', 7), '2026-02-03T09:00:00Z', [], { kind: 'matches', source: 'hub' }],
      ['a 2 February session billed at the old 0.30: a mismatch with the hub, whatever it carries', session('2026-02-02T10:00:00Z', 6, [tariff]), '2026-02-03T09:00:00Z', ['price_mismatch'], { kind: 'mismatch', expected: '7.0000', source: 'hub' }],
      // Tariff.id is a CiString: the CDR's own copy of T1 may spell it t1.
      ['a 31 January session billed at 0.40 with its copy of T1 spelled t1: a mismatch with its own copy', session('2026-01-31T10:00:00Z', 8, [{ ...tariff, id: 't1' }]), '2026-02-01T09:00:00Z', ['price_mismatch'], { kind: 'mismatch', expected: '6.0000', source: 'cdr' }],
    ])('%s', (_name, cdr, accepted, expected, price) => {
      expect(checkPrice(cdr as any, v2, null, 'T1')).toMatchObject(price);
      expect(types(cdr, { held: v2, accepted })).toEqual(expected);
    });
  });

  describe('a session that switched tariffs (T1 0.30/kWh for its first hour, T2 0.50/kWh for its second)', () => {
    const t2: Tariff = { ...tariff, id: 'T2', elements: [{ price_components: [{ type: 'ENERGY', price: 0.5, vat: 21, step_size: 1 }] }] };
    const switched = aCdr({
      tariffs: [tariff, t2],
      charging_periods: [
        { start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }], tariff_id: 'T1' },
        { start_date_time: '2026-01-10T11:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }], tariff_id: 'T2' },
      ],
      total_cost: { excl_vat: 8, incl_vat: 9.68 },
    });

    it.each([
      ['the hub holds T1', held(tariff)],
      ['the hub holds neither (the CDR carries both)', null],
    ])('billed 3 + 5 = 8 correctly is no price mismatch: %s', (_name, hubTariff) => {
      expect(checkPrice(switched as any, hubTariff, null, 'T1')).toMatchObject({ kind: 'unpriceable', reason: expect.stringContaining('T1, T2') });
      expect(types(switched, { held: hubTariff })).toEqual([]);
    });

    it('periods naming T1 and t1 are one tariff: billed 0.40/kWh for T1 at 0.30 is a price mismatch', () => {
      const spelled = aCdr({
        charging_periods: [
          { start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }], tariff_id: 'T1' },
          { start_date_time: '2026-01-10T11:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 1 }], tariff_id: 't1' },
        ],
        total_cost: { excl_vat: 8, incl_vat: 9.68 },
      });
      expect(checkPrice(spelled as any, held(tariff), null, 'T1')).toMatchObject({ kind: 'mismatch', expected: '6.0000' });
      expect(types(spelled)).toEqual(['price_mismatch']);
    });

    it('free under both tariffs and billed 0: priced (0) and not flagged, as before', () => {
      const free = (t: Tariff): Tariff => ({ ...t, elements: [{ price_components: [{ type: 'ENERGY', price: 0, vat: 21, step_size: 1 }] }] });
      const cdr = { ...switched, tariffs: [free(tariff), free(t2)], total_cost: { excl_vat: 0, incl_vat: 0 } };
      expect(checkPrice(cdr as any, held(free(tariff)), null, 'T1')).toMatchObject({ kind: 'matches', expected: '0' });
      expect(types(cdr, { held: held(free(tariff)) })).toEqual([]);
    });
  });

  describe('a tariff with a night rate (0.20/kWh from 23:00 to 07:00 local, else 0.30) and a location in Amsterdam', () => {
    const night: Tariff = { ...tariff, elements: [
      { price_components: [{ type: 'ENERGY', price: 0.2, vat: 21, step_size: 1 }], restrictions: { start_time: '23:00', end_time: '07:00' } },
      { price_components: [{ type: 'ENERGY', price: 0.3, vat: 21, step_size: 1 }] },
    ] };
    // 22:30–23:30 Amsterdam time (21:30–22:30 UTC): 10 kWh at the day rate, 10 at the night rate.
    const evening = aCdr({
      start_date_time: '2026-01-10T21:30:00Z',
      end_date_time: '2026-01-10T22:30:00Z',
      charging_periods: [
        { start_date_time: '2026-01-10T21:30:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 0.5 }], tariff_id: 'T1' },
        { start_date_time: '2026-01-10T22:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }, { type: 'TIME', volume: 0.5 }], tariff_id: 'T1' },
      ],
      total_energy: 20,
      total_time: 1,
      total_cost: { excl_vat: 5, incl_vat: 6.05 },
    });

    it('billed 3 + 2 = 5 matches in the location\'s time zone', () => {
      expect(checkPrice(evening as any, held(night), 'Europe/Amsterdam', 'T1')).toMatchObject({ kind: 'matches' });
    });

    it('is no price mismatch when the hub does not know the location\'s time zone (restrictions read in UTC would say 6)', () => {
      expect(checkPrice(evening as any, held(night), null, 'T1')).toMatchObject({ kind: 'unpriceable', reason: expect.stringContaining('time zone') });
      expect(singleCdrFindings(rowOf(evening), { connectorPowerW: 22_000, price: checkPrice(evening as any, held(night), null, 'T1') }).map((f) => f.type)).toEqual([]);
    });

    it('a real overcharge is still found in the location\'s time zone', () => {
      const dear = { ...evening, total_cost: { excl_vat: 7, incl_vat: 8.47 } };
      expect(checkPrice(dear as any, held(night), 'Europe/Amsterdam', 'T1')).toMatchObject({ kind: 'mismatch', expected: '5.0000' });
    });
  });

  it('is no price mismatch when the price depends on a power restriction the CDR gives no power for (0.25/kWh up to 11 kW, else 0.30)', () => {
    const byPower: Tariff = { ...tariff, elements: [
      { price_components: [{ type: 'ENERGY', price: 0.25, vat: 21, step_size: 1 }], restrictions: { max_power: 11 } },
      { price_components: [{ type: 'ENERGY', price: 0.3, vat: 21, step_size: 1 }] },
    ] };
    // 20 kWh in 2 h (10 kW) billed at 0.25; the CDR's periods carry ENERGY and TIME only.
    const cdr = aCdr({ total_cost: { excl_vat: 5, incl_vat: 6.05 } });
    const price = checkPrice(cdr as any, held(byPower), 'Europe/Amsterdam', 'T1');
    expect(price).toMatchObject({ kind: 'unpriceable', reason: expect.stringContaining('cannot be evaluated') });
    expect(types(cdr, { held: held(byPower) })).toEqual([]);
  });

  it('gives evidence a reviewer can act on', () => {
    const price = checkPrice(aCdr({ total_cost: { excl_vat: 7.5, incl_vat: 9 } }) as any, held(tariff), null, 'T1');
    const [finding] = singleCdrFindings(rowOf(aCdr({ total_cost: { excl_vat: 7.5, incl_vat: 9 } })), { connectorPowerW: 22000, price });
    expect(finding).toMatchObject({ key: 'price_mismatch:NL*CPA*CDR1', severity: 'high', cdr_id: 'CDR1', evidence: { billed_excl_vat: '7.5000', recomputed_excl_vat: '6.0000', difference: '1.5000', tariff_id: 'T1' } });
  });
});

describe('robust statistics', () => {
  it.each([
    [[1, 2, 3, 4, 100], 3, 1],
    [[0.3, 0.3, 0.3, 0.3], 0.3, 0],
    [[1, 2], 1.5, 0.5],
  ])('median and MAD of %j', (values, m, d) => {
    expect(median(values)).toBeCloseTo(m);
    expect(mad(values)).toBeCloseTo(d);
  });

  it.each([
    ['MAD 0 (fixed price per kWh): same price is usual', 0.3, { median: 0.3, mad: 0, n: 50 }, false],
    ['MAD 0: 10% above is usual (relative floor)', 0.33, { median: 0.3, mad: 0, n: 50 }, false],
    ['MAD 0: three times the usual is an outlier', 0.9, { median: 0.3, mad: 0, n: 50 }, true],
    ['spread prices: within 3.5 robust z', 0.5, { median: 0.4, mad: 0.05, n: 50 }, false],
    ['spread prices: far above', 1.4, { median: 0.4, mad: 0.05, n: 50 }, true],
  ])('%s', (_name, x, stat, outlier) => {
    expect(judge(x, stat, { robustZ: 3.5, minRelativeDeviation: 0.5 }).outlier).toBe(outlier);
  });

  const unpriceable: PriceCheck = { kind: 'unpriceable', reason: 'tariff unknown' };
  it.each([
    ['far from both location and tariff', 1.2, { median: 0.3, mad: 0, n: 40 }, { median: 0.31, mad: 0.01, n: 30 }, true],
    ['far from the location but usual for its tariff', 1.2, { median: 0.3, mad: 0, n: 40 }, { median: 1.1, mad: 0.05, n: 30 }, false],
    ['too little history', 1.2, { median: 0.3, mad: 0, n: 3 }, null, false],
  ])('price per kWh %s', (_name, ppk, location, tariffStat, expected) => {
    const row = rowOf(aCdr({ total_cost: { excl_vat: ppk * 20, incl_vat: ppk * 20 } }));
    expect(ppkFinding(row, unpriceable, { location, tariff: tariffStat }) !== null).toBe(expected);
  });

  it('does not judge price per kWh when the hub recomputed the price with a tariff it holds', () => {
    const row = rowOf(aCdr({ total_cost: { excl_vat: 60, incl_vat: 60 } }));
    expect(ppkFinding(row, { kind: 'matches', expected: '60', tariffId: 'T1', source: 'hub' }, { location: { median: 0.3, mad: 0, n: 40 }, tariff: null })).toBeNull();
  });

  it('judges price per kWh when the total matches only the tariff the CDR carries (three times the usual)', () => {
    const dear: Tariff = { ...tariff, elements: [{ price_components: [{ type: 'ENERGY', price: 0.9, vat: 21, step_size: 1 }] }] };
    const cdr = aCdr({ tariffs: [dear], total_cost: { excl_vat: 18, incl_vat: 21.78 } });
    const price = checkPrice(cdr as any, null, null, 'T1');
    expect(price).toMatchObject({ kind: 'matches', source: 'cdr' });
    const usual = { median: 0.3, mad: 0, n: 40 };
    const finding = ppkFinding(rowOf(cdr), price, { location: usual, tariff: usual });
    expect(finding).toMatchObject({ type: 'price_per_kwh_outlier', cdr_id: 'CDR1', evidence: { price_per_kwh: 0.9, why_judged_by_statistics: expect.stringContaining('tariff the CDR carries') } });
    // The same CDR at the usual price is not an outlier.
    const fair = aCdr({ tariffs: [tariff] });
    expect(ppkFinding(rowOf(fair), checkPrice(fair as any, null, null, 'T1'), { location: usual, tariff: usual })).toBeNull();
  });
});

describe('set-based rules', () => {
  const lite = (o: Partial<CdrLite>): CdrLite => ({ country_code: 'NL', party_id: 'CPA', id: 'A', session_key: 'NL*CPA*S*S1', token_country_code: 'NL', token_party_id: 'MSA', token_uid: 'TOK1', token_type: 'RFID', start_ts: 1000, end_ts: 8200, credit: 0, credit_reference_id: '', stream_seq: 1, location_id: 'L1', evse_uid: 'E1', total_cost_excl: 6, currency: 'EUR', accepted_at: 9000, ...o });
  const a = lite({});

  it.each([
    ['the same session under a new id, later', lite({ id: 'B', stream_seq: 2 }), [a], true],
    ['the earlier of the two is not flagged', a, [lite({ id: 'B', stream_seq: 2 })], false],
    ['a re-issue after the original was credited', lite({ id: 'B', stream_seq: 3 }), [a, lite({ id: 'A-C', credit: 1, credit_reference_id: 'A', stream_seq: 2 })], false],
    ['a redelivery of the same CDR', lite({ stream_seq: 1 }), [a], false],
    // CDR ids are CiStrings: the same CDR in another spelling, and a credit naming it so.
    ['a copy of the CDR spelling its id in another case', lite({ id: 'a', stream_seq: 2 }), [a], false],
    ['a re-issue after the original was credited under its id in another case', lite({ id: 'B', stream_seq: 3 }), [a, lite({ id: 'A-C', credit: 1, credit_reference_id: 'a', stream_seq: 2 })], false],
    ['the credited original itself, named in another case', lite({ id: 'Ab', stream_seq: 3 }), [lite({ id: 'X', stream_seq: 1 }), lite({ id: 'A-C', credit: 1, credit_reference_id: 'aB', stream_seq: 2 })], false],
  ])('duplicate session: %s', (_name, subject, others, expected) => {
    expect(duplicateSessionFinding(subject, [subject, ...others]) !== null).toBe(expected);
  });

  it.each([
    ['another session of the token inside this one', lite({ id: 'B', session_key: 'S2', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [a], true],
    ['sessions that only touch', lite({ id: 'B', session_key: 'S2', start_ts: 8200, end_ts: 9000, stream_seq: 2 }), [a], false],
    ['an overlap of under a minute (clock skew)', lite({ id: 'B', session_key: 'S2', start_ts: 8150, end_ts: 9000, stream_seq: 2 }), [a], false],
    ['another token', lite({ id: 'B', session_key: 'S2', token_uid: 'TOK2', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [a], false],
    ['a token of another type with the same uid (an APP_USER beside an RFID card)', lite({ id: 'B', session_key: 'S2', token_type: 'APP_USER', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [a], false],
    ['a token of another eMSP with the same uid', lite({ id: 'B', session_key: 'S2', token_party_id: 'MSB', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [a], false],
    ['the same token, one CDR stored before its type was kept (type unknown)', lite({ id: 'B', session_key: 'S2', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [lite({ token_type: '' })], true],
    ['the same session (that is a duplicate, not an overlap)', lite({ id: 'B', stream_seq: 2 }), [a], false],
    // Token.uid is a CiString: the card tok1 is the card TOK1.
    ['the same token, its uid spelled in another case', lite({ id: 'B', session_key: 'S2', token_uid: 'tok1', start_ts: 4000, end_ts: 6000, stream_seq: 2 }), [a], true],
  ])('overlap: %s', (_name, subject, others, expected) => {
    expect(overlapFinding(subject, [subject, ...others]) !== null).toBe(expected);
  });

  describe('a credit arriving after the re-issue it makes legitimate', () => {
    const reissue = lite({ id: 'B', stream_seq: 2 });
    const credit = lite({ id: 'A-C', credit: 1, credit_reference_id: 'A', stream_seq: 3, total_cost_excl: -6 });
    const otherSession = lite({ id: 'D', session_key: 'S2', start_ts: 4000, end_ts: 6000, stream_seq: 2 });

    it('takes back the duplicate of the re-issue, naming the credit', () => {
      expect(duplicateSessionFinding(reissue, [a, reissue])).not.toBeNull();
      expect(takenBackByCredits([credit], [a, reissue, credit])).toEqual([
        { key: 'duplicate_session:NL*CPA*B', reason: 'NL*CPA*A was credited by credit CDR A-C: the session is billed once', credit_cdr_id: 'A-C' },
      ]);
    });

    it('takes back an overlap with the credited original (re-issued under another session)', () => {
      expect(overlapFinding(otherSession, [a, otherSession])).not.toBeNull();
      expect(takenBackByCredits([credit], [a, otherSession, credit]).map((t) => t.key)).toEqual(['overlapping_sessions:NL*CPA*D']);
    });

    it('takes back nothing while another earlier CDR of the session still stands', () => {
      const third = lite({ id: 'C', stream_seq: 4 });
      const keys = takenBackByCredits([credit], [a, reissue, third, credit]).map((t) => t.key);
      expect(keys).toContain('duplicate_session:NL*CPA*B'); // B is now the first standing CDR
      expect(keys).not.toContain('duplicate_session:NL*CPA*C'); // C still duplicates B
    });

    it('takes back the duplicate when the credit names the original in another case', () => {
      const lower = { ...credit, credit_reference_id: 'a' };
      expect(takenBackByCredits([lower], [a, reissue, lower]).map((t) => t.key)).toEqual(['duplicate_session:NL*CPA*B']);
    });

    it('leaves a CDR that is no credit alone', () => {
      expect(takenBackByCredits([reissue], [a, reissue])).toEqual([]);
    });
  });
});

describe('party drift', () => {
  const series = (values: number[], from = '2026-01-01'): DailyVolume[] =>
    values.map((n, i) => ({ day: new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10), cdrs: n, revenue: n * 10, lastAcceptedAt: 0 }));
  const steady = Array.from({ length: 40 }, (_, i) => 30 + ((i * 7) % 9) - 4);
  const party = { country_code: 'NL', party_id: 'CPA', currency: 'EUR' };

  // The series covers 2026-01-01 … 2026-02-09 (40 days); days before `before` (here: today) are judged.
  it.each([
    ['steady traffic', steady, '2026-02-10', []],
    ['a day at four times the usual', steady.map((v, i) => (i === 35 ? v * 4 : v)), '2026-02-10', ['2026-02-05']],
    ['a day without CDRs (outage)', steady.map((v, i) => (i === 35 ? 0 : v)), '2026-02-10', ['2026-02-05']],
    ['yesterday is judged', steady.map((v, i) => (i === 39 ? v * 4 : v)), '2026-02-10', ['2026-02-09']],
    ['today is not judged (not closed yet)', steady.map((v, i) => (i === 39 ? v * 4 : v)), '2026-02-09', []],
    ['too little history', steady.slice(0, 25).map((v, i) => (i === 24 ? v * 4 : v)), '2026-01-26', []],
    ['a party gone silent: its silent days up to yesterday', [...steady, 0, 0, 0, 0], '2026-02-14', ['2026-02-10', '2026-02-11', '2026-02-12', '2026-02-13']],
    ['a party silent for weeks: judged while its history still holds 20 active days', [...steady, ...Array(19).fill(0)], '2026-03-01', ['2026-02-10', '2026-02-11', '2026-02-12', '2026-02-13', '2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18']],
  ])('%s', (_name, values, before, days) => {
    // Only days with CDRs are stored: silent days are absent from the series, as from ClickHouse.
    const findings = driftFindings(party, series(values).filter((d) => d.cdrs > 0), { before });
    expect(findings.map((f) => f.evidence.day)).toEqual(days);
  });

  // Day D ends at midnight UTC and is judged once the grace has passed after it.
  it.each([
    ['2026-02-10T00:00:00Z', 0, '2026-02-10'],
    ['2026-02-10T05:59:59Z', 6, '2026-02-09'],
    ['2026-02-10T06:00:00Z', 6, '2026-02-10'],
    ['2026-02-10T23:59:59Z', 24, '2026-02-09'],
    ['2026-02-11T00:00:00Z', 24, '2026-02-10'],
  ])('at %s with a grace of %i h, days before %s are judged', (now, graceHours, before) => {
    expect(dayString(firstUnjudgedDay(Date.parse(now), graceHours))).toBe(before);
  });

  const small = Array.from({ length: 40 }, (_, i) => 10 + ((i * 5) % 7) - 3); // about 10 CDRs a day
  it.each([
    ['a small party: an ordinary bad day (2 of ~10) is noise', small.map((v, i) => (i === 35 ? 2 : v)), []],
    ['a small party: an outage is drift', small.map((v, i) => (i === 35 ? 0 : v)), ['2026-02-05']],
    ['a small party: four times the usual is drift', small.map((v, i) => (i === 35 ? 40 : v)), ['2026-02-05']],
  ])('%s', (_name, values, days) => {
    expect(driftFindings(party, series(values).filter((d) => d.cdrs > 0), { before: '2026-02-10' }).map((f) => f.evidence.day)).toEqual(days);
  });

  it('a silent day names the moment it closed and the fall in both measures', () => {
    const [finding] = driftFindings(party, series([...steady, 0]).filter((d) => d.cdrs > 0), { before: '2026-02-11' });
    expect(finding).toMatchObject({ key: 'party_volume_drift:NL*CPA:EUR:2026-02-10', cdr_id: null, accepted_at: Date.parse('2026-02-11T00:00:00Z') / 1000, evidence: { drifting: ['cdrs', 'revenue'], cdrs: { value: 0 } } });
  });

  it('a day judged again once its CDRs arrived late: no finding, and the reason in words', () => {
    const byDay = (values: number[]) => new Map(series(values).filter((d) => d.cdrs > 0).map((d) => [dayNumber(d.day), d]));
    const at = (m: Map<number, DailyVolume>) => (n: number) => m.get(n) ?? { day: dayString(n), cdrs: 0, revenue: 0, lastAcceptedAt: 0 };
    const day = dayNumber('2026-02-05');
    expect(driftDayVerdict(party, at(byDay(steady.map((v, i) => (i === 35 ? 0 : v)))), day).finding?.key).toBe('party_volume_drift:NL*CPA:EUR:2026-02-05');
    const filledIn = driftDayVerdict(party, at(byDay(steady)), day);
    expect(filledIn).toMatchObject({ day: '2026-02-05', finding: null, activeHistoryDays: 28 });
    expect(withdrawalReason(filledIn)).toMatch(/^judged again with the CDRs stored since: 2026-02-05 now has CDRs \d+ \(usual \d+, allowed deviation [\d.]+\) and revenue \d+ \(usual \d+, allowed deviation [\d.]+\), within the party's usual range$/);
    const thin = driftDayVerdict(party, at(byDay(steady.slice(20))), dayNumber('2026-02-05'));
    expect(withdrawalReason(thin)).toBe('judged again with the CDRs stored since: the history of 2026-02-05 holds 13 days with CDRs, fewer than the 20 needed to judge it');
  });

  it('judges only the days asked for', () => {
    const values = steady.map((v, i) => (i === 30 || i === 35 ? v * 4 : v));
    expect(driftFindings(party, series(values), { before: '2026-02-10', days: new Set(['2026-02-05', '2026-02-06']) }).map((f) => f.evidence.day)).toEqual(['2026-02-05']);
  });
});
