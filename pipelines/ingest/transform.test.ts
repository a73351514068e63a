import { describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { addOcpiMessage, cdrRows, deliveryRow, emptyRows, locationRows, sessionEventRow, sessionKey, UnmappableMessage, unixSeconds } from './transform.ts';

const party = { country_code: 'NL', party_id: 'CPA' };
const msg = (o: Partial<OcpiPushMessage>): OcpiPushMessage => ({ module: 'cdrs', event: 'post', path: [], object_key: 'k', sender: party, from: party, receiver: { country_code: 'DE', party_id: 'MSB' }, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:05:00.123Z', ...o });
const cdr = {
  country_code: 'nl',
  party_id: 'cpa',
  id: 'CDR1',
  start_date_time: '2026-01-10T10:00:00Z',
  end_date_time: '2026-01-10T12:00:00+01:00',
  cdr_token: { country_code: 'DE', party_id: 'MSB', uid: 'T1', type: 'RFID', contract_id: 'C' },
  cdr_location: { id: 'L1', evse_uid: 'E1', connector_id: '1', connector_power_type: 'DC' },
  currency: 'EUR',
  charging_periods: [
    { start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 12.3456789 }, { type: 'TIME', volume: 0.5 }], tariff_id: 'TAR' },
    { start_date_time: '2026-01-10T10:30:00Z', dimensions: [{ type: 'PARKING_TIME', volume: 0.25 }] },
  ],
  total_cost: { excl_vat: 4.12345, incl_vat: '4.99' },
  total_energy: 12.3456789,
  total_time: 0.75,
  total_parking_time: 0.25,
  last_updated: '2026-01-10T12:01:00Z',
};

describe('cdrRows', () => {
  it('maps a CDR to one row and one row per charging period, in UTC seconds and column scales', () => {
    const { cdr: row, periods } = cdrRows(msg({ body: cdr }), { seq: 7, ingestedAt: 1 });
    expect(row).toMatchObject({
      country_code: 'NL',
      party_id: 'CPA',
      id: 'CDR1',
      start_ts: Date.parse('2026-01-10T10:00:00Z') / 1000,
      end_ts: Date.parse('2026-01-10T11:00:00Z') / 1000,
      session_key: 'NL*CPA*E*E1*T1*2026-01-10T10:00:00Z',
      tariff_id: 'TAR',
      total_cost_excl: 4.1235,
      total_cost_incl: 4.99,
      total_energy: 12.345679,
      receiver_country_code: 'DE',
      accepted_at: Math.floor(Date.parse('2026-01-10T12:05:00Z') / 1000),
      stream_seq: 7,
      credit: 0,
    });
    expect(periods.map((p) => [p.period_index, p.energy, p.time_h, p.parking_time_h, p.tariff_id])).toEqual([
      [0, 12.345679, 0.5, 0, 'TAR'],
      [1, 0, 0, 0.25, 'TAR'],
    ]);
  });

  it.each([
    ['no id', { ...cdr, id: undefined }],
    ['a bad date', { ...cdr, start_date_time: 'yesterday' }],
    ['not an object', 'nope'],
    ['an amount no Decimal column holds', { ...cdr, total_cost: { excl_vat: 1e30 } }],
    ['a date after 2106', { ...cdr, end_date_time: '2200-01-01T00:00:00Z' }],
  ])('refuses a CDR with %s as unmappable', (_name, body) => {
    expect(() => cdrRows(msg({ body }), { seq: 1, ingestedAt: 1 })).toThrow(UnmappableMessage);
  });

  it('turns infinities and out-of-range integers into values their columns hold', () => {
    const body = { ...cdr, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'MAX_POWER', volume: '1e400' }] }] };
    expect(cdrRows(msg({ body }), { seq: 1, ingestedAt: 1 }).periods[0].max_power).toBe(0);
    const out = locationRows(msg({ module: 'locations', event: 'put', path: ['NL', 'CPA', 'L1'], body: { id: 'L1', coordinates: { latitude: '1e400', longitude: '4.9' }, evses: [{ uid: 'E1', connectors: [{ id: '1', max_electric_power: 1e20 }] }] } }), { seq: 1, ingestedAt: 1 });
    expect([out.locations[0].latitude, out.locations[0].longitude, out.connectors[0].max_electric_power]).toEqual([0, 4.9, 4_294_967_295]);
  });

  // Charging hours are total_time − total_parking_time (migrations/clickhouse/0016): an absent or null parking time is 0.
  it.each([
    ['given', { ...cdr }, 0.75, 0.25],
    ['absent', { ...cdr, total_parking_time: undefined }, 0.75, 0],
    ['null', { ...cdr, total_parking_time: null }, 0.75, 0],
  ])('keeps total_time whole and total_parking_time %s apart', (_name, body, total, parking) => {
    expect(cdrRows(msg({ body }), { seq: 1, ingestedAt: 1 }).cdr).toMatchObject({ total_time: total, total_parking_time: parking });
  });

  it('keys a session by session_id when given', () => {
    expect(sessionKey({ ...cdr, session_id: 'S9' })).toBe('NL*CPA*S*S9');
  });

  // Session.id, EVSE uid and Token uid are CiStrings; only a-z fold (as ciKey and ClickHouse's upper()).
  it.each([
    ['session_id', { ...cdr, session_id: 'sess-9é' }, { ...cdr, session_id: 'SESS-9é' }],
    ['EVSE uid and token uid', { ...cdr, cdr_location: { ...cdr.cdr_location, evse_uid: 'e1' }, cdr_token: { ...cdr.cdr_token, uid: 't1' } }, cdr],
  ])('keys a session by its %s in any case', (_name, a, b) => {
    expect(sessionKey(a)).toBe(sessionKey(b));
  });
});

describe('validation findings', () => {
  const findings = [
    { rule: 'price_mismatch', severity: 'error' as const, path: 'total_cost', message: 'billed 9.5 excl / 10.45 incl, but tariff 12 gives 4 excl / 4.4 incl' },
    { rule: 'totals_mismatch', severity: 'error' as const, path: 'total_cost', message: 'total_cost 9.5 excl / 10.45 incl is not the sum of total_time_cost' },
    { rule: 'price_not_recomputable', severity: 'warning' as const, message: 'the price could not be recomputed' },
  ];

  it('writes one row per finding the CDR was accepted with, dated when it was accepted', () => {
    const rows = emptyRows();
    addOcpiMessage(rows, msg({ body: cdr, findings }), { seq: 7, ingestedAt: 1 });
    const acceptedAt = Math.floor(Date.parse('2026-01-10T12:05:00Z') / 1000);
    expect(rows.validationFindings).toEqual(
      findings.map((f) => ({ detected_at: acceptedAt, module: 'cdrs', country_code: 'NL', party_id: 'CPA', object_id: 'CDR1', rule: f.rule, path: f.path ?? '', message: f.message, severity: f.severity })),
    );
    expect(rows.cdrs).toHaveLength(1);
  });

  it('a redelivery maps to the same rows (the table collapses them); another ingestion time changes nothing', () => {
    const [a, b] = [emptyRows(), emptyRows()];
    addOcpiMessage(a, msg({ body: cdr, findings }), { seq: 7, ingestedAt: 1 });
    addOcpiMessage(b, msg({ body: cdr, findings }), { seq: 9, ingestedAt: 5000 });
    expect(b.validationFindings).toEqual(a.validationFindings);
  });

  it.each([
    ['no findings field (a CDR accepted clean)', undefined, 0],
    ['findings that are not a list', 'oops', 0],
    ['a malformed entry among them', [null, 'x', { message: 'no rule' }, findings[0]], 1],
  ])('with %s, keeps the CDR and writes only well-formed findings', (_name, given, count) => {
    const rows = emptyRows();
    addOcpiMessage(rows, msg({ body: cdr, findings: given as never }), { seq: 1, ingestedAt: 1 });
    expect([rows.cdrs.length, rows.validationFindings.length]).toEqual([1, count]);
  });
});

describe('unixSeconds', () => {
  // Would fail in any zone but UTC if a DateTime without `Z` were read as local time
  // (run this file with TZ=Europe/Amsterdam to see it).
  it('reads an OCPI DateTime without a zone designator as UTC, whatever the process zone', () => {
    expect(unixSeconds('2026-07-01T20:00:00', 'x')).toBe(Date.UTC(2026, 6, 1, 20) / 1000);
    expect(unixSeconds('2026-01-10T10:00:00.5', 'x')).toBe(Date.UTC(2026, 0, 10, 10) / 1000);
    const { cdr: row } = cdrRows(msg({ body: { ...cdr, start_date_time: '2026-07-01T20:00:00', end_date_time: '2026-07-01T21:30:00' } }), { seq: 1, ingestedAt: 1 });
    expect([row.start_ts, row.end_ts]).toEqual([Date.UTC(2026, 6, 1, 20) / 1000, Date.UTC(2026, 6, 1, 21, 30) / 1000]);
  });

  it.each(['2026-01-10T10:00:00Z', '2026-01-10T10:00:00.5Z', '2026-01-10T10:00:00.123456Z', '2024-02-29T23:59:59Z', '2026-01-10T10:00:00+01:00', '2026-01-10T10:00:00-05:30'])('reads %s, which carries its zone, as Date.parse does', (value) => {
    expect(unixSeconds(value, 'x')).toBe(Math.floor(Date.parse(value) / 1000));
  });

  it.each(['yesterday', '2026-02-29T10:00:00Z', '2026-01-10', '2026-01-10T25:00:00Z'])('refuses %s as unmappable', (value) => {
    expect(() => unixSeconds(value, 'x')).toThrow(UnmappableMessage);
  });
});

describe('other modules', () => {
  it('keeps a session PATCH partial', () => {
    const row = sessionEventRow(msg({ module: 'sessions', event: 'patch', path: ['NL', 'CPA', 'S1'], body: { kwh: 3.5, last_updated: '2026-01-10T10:10:00Z' } }), { seq: 1, ingestedAt: 1 });
    expect(row).toMatchObject({ session_id: 'S1', event: 'patch', kwh: 3.5, status: null, start_ts: null });
  });

  it.each([
    ['a location with EVSEs', ['NL', 'CPA', 'L1'], { id: 'L1', time_zone: 'Europe/Amsterdam', evses: [{ uid: 'E1', connectors: [{ id: '1', power_type: 'AC_3_PHASE', max_electric_power: 22000 }] }] }, 1, 1],
    ['an EVSE', ['NL', 'CPA', 'L1', 'E2'], { uid: 'E2', connectors: [{ id: '1', max_electric_power: 50000 }] }, 0, 1],
    ['a connector', ['NL', 'CPA', 'L1', 'E2', '2'], { id: '2', max_electric_power: 11000 }, 0, 1],
  ])('maps a Location PUT of %s', (_name, path, body, locations, connectors) => {
    const out = locationRows(msg({ module: 'locations', event: 'put', path, body }), { seq: 1, ingestedAt: 1 });
    expect([out.locations.length, out.connectors.length, out.connectorPower.length]).toEqual([locations, connectors, connectors]);
    expect(out.connectorPower.every((c) => c.has_power_type + c.has_max_voltage + c.has_max_amperage + c.has_max_electric_power === 4)).toBe(true);
  });

  const power = (c: { has_power_type: number; power_type: string; has_max_voltage: number; max_voltage: number; has_max_amperage: number; max_amperage: number; has_max_electric_power: number; max_electric_power: number }) =>
    [c.has_power_type ? c.power_type : '-', c.has_max_voltage ? c.max_voltage : '-', c.has_max_amperage ? c.max_amperage : '-', c.has_max_electric_power ? c.max_electric_power : '-'];

  it.each([
    ['a connector', ['NL', 'CPA', 'L1', 'E2', '2'], { max_electric_power: 11000, last_updated: '2026-02-01T00:00:00Z' }, [['E2', '2', '-', '-', '-', 11000]]],
    ['an EVSE carrying connectors', ['NL', 'CPA', 'L1', 'E2'], { connectors: [{ id: '1', max_amperage: 16, power_type: 'AC_1_PHASE' }], last_updated: '2026-02-01T00:00:00Z' }, [['E2', '1', 'AC_1_PHASE', '-', 16, '-']]],
    ['a location carrying EVSEs', ['NL', 'CPA', 'L1'], { evses: [{ uid: 'E1', connectors: [{ id: '1', max_voltage: 230 }, { id: '2', standard: 'IEC_62196_T2' }] }], last_updated: '2026-02-01T00:00:00Z' }, [['E1', '1', '-', 230, '-', '-']]],
    ['a location without EVSEs', ['NL', 'CPA', 'L1'], { time_zone: 'Europe/Berlin', last_updated: '2026-02-01T00:00:00Z' }, []],
  ])('maps a Location PATCH of %s to the power fields it carries, and to no whole row', (_name, path, body, expected) => {
    const out = locationRows(msg({ module: 'locations', event: 'patch', path, body }), { seq: 1, ingestedAt: 1 });
    expect([out.locations.length, out.connectors.length]).toEqual([0, 0]);
    expect(out.connectorPower.map((c) => [c.evse_uid, c.connector_id, ...power(c)])).toEqual(expected);
    for (const c of out.connectorPower) expect([c.location_id, c.last_updated]).toEqual(['L1', Date.parse('2026-02-01T00:00:00Z') / 1000]);
  });

  it.each([
    ['PUT', 'put', { id: 'L1', time_zone: 'Europe/Amsterdam', last_updated: '2026-02-01T00:00:00Z' }, ['Europe/Amsterdam']],
    ['PATCH', 'patch', { time_zone: 'Europe/Lisbon', last_updated: '2026-02-01T00:00:00Z' }, ['Europe/Lisbon']],
    ['PATCH without one', 'patch', { name: 'renamed', last_updated: '2026-02-01T00:00:00Z' }, []],
  ] as const)("maps a location %s's time zone, which the price rule reads, PATCH or PUT", (_name, event, body, expected) => {
    const rows = emptyRows();
    addOcpiMessage(rows, msg({ module: 'locations', event, path: ['NL', 'CPA', 'L1'], body }), { seq: 1, ingestedAt: 1 });
    expect(rows.locationTimeZones.map((z) => z.time_zone)).toEqual(expected);
    for (const z of rows.locationTimeZones) expect([z.country_code, z.party_id, z.id, z.last_updated]).toEqual(['NL', 'CPA', 'L1', Date.parse('2026-02-01T00:00:00Z') / 1000]);
  });

  it("adds a location PATCH's power fields to the batch", () => {
    const rows = emptyRows();
    addOcpiMessage(rows, msg({ module: 'locations', event: 'patch', path: ['NL', 'CPA', 'L1', 'E1', '1'], body: { max_electric_power: 7400, last_updated: '2026-02-01T00:00:00Z' } }), { seq: 1, ingestedAt: 1 });
    expect([rows.connectors.length, rows.connectorPower.length]).toEqual([0, 1]);
  });

  it('maps a delivery fact with parties as objects or keys', () => {
    expect(deliveryRow({ module: 'cdrs', event: 'post', sender: 'NL-CPA', receiver: { country_code: 'de', party_id: 'msb' }, outcome: 'delivered', attempts: 2, latency_ms: 81.6, status_code: 1000, at: '2026-01-10T10:00:00Z' }, { seq: 5, ingestedAt: 1 })).toMatchObject({
      sender_country_code: 'NL',
      sender_party_id: 'CPA',
      receiver_country_code: 'DE',
      receiver_party_id: 'MSB',
      latency_ms: 82,
      http_status: 0,
      stream_seq: 5,
    });
  });

  it('keeps the HTTP status a receiver answered with, 0 when there was no answer', () => {
    const fact = { module: 'cdrs', event: 'post', sender: 'NL-CPA', receiver: 'DE-MSB', attempts: 3, latency_ms: 5, at: '2026-01-10T10:00:00Z' } as const;
    expect(deliveryRow({ ...fact, outcome: 'failed', status_code: null, http_status: 429 }, { seq: 1, ingestedAt: 1 }).http_status).toBe(429);
    expect(deliveryRow({ ...fact, outcome: 'failed', status_code: null, http_status: null }, { seq: 2, ingestedAt: 1 }).http_status).toBe(0);
  });

  it('maps a call the hub did not forward, with or without a receiver', () => {
    const fact = { module: 'tokens', event: 'authorize', sender: { country_code: 'NL', party_id: 'CPA' }, outcome: 'not_forwarded', attempts: 0, latency_ms: 0, http_status: null, at: '2026-01-10T10:00:00Z' } as const;
    expect(deliveryRow({ ...fact, receiver: { country_code: 'nl', party_id: 'msx' }, status_code: 4003 }, { seq: 1, ingestedAt: 1 })).toMatchObject({ receiver_country_code: 'NL', receiver_party_id: 'MSX', outcome: 'not_forwarded', attempts: 0, latency_ms: 0, status_code: 4003, http_status: 0 });
    expect(deliveryRow({ ...fact, receiver: null, status_code: 4001 }, { seq: 2, ingestedAt: 1 })).toMatchObject({ receiver_country_code: '', receiver_party_id: '', outcome: 'not_forwarded', status_code: 4001 });
  });
});
