import { describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { addOcpiMessage, emptyRows } from './transform.ts';
import { cdrColumns, dateTime, encodeCdrs, encodeRows, encodeSessionEvents, tsvField } from './tsv.ts';

describe('tsvField', () => {
  it.each([
    ['plain', 'plain'],
    ['tab\there', 'tab\\there'],
    ['line\nfeed\r', 'line\\nfeed\\r'],
    ['back\\slash', 'back\\\\slash'],
    ['nul\0', 'nul\\0'],
    ["quote ' \" stays", "quote ' \" stays"],
    ['ünï 💡', 'ünï 💡'],
    ['', ''],
  ])('escapes %j as ClickHouse reads it', (value, text) => {
    expect(tsvField(value)).toBe(text);
  });

  it.each([
    [0, '0'],
    [4.1235, '4.1235'],
    [-12.5, '-12.5'],
    [0.000001, '0.000001'],
    [1790039911, '1790039911'],
    [999999999999.9999, '999999999999.9999'],
    [-0.0001, '-0.0001'],
  ])('writes the number %d without an exponent', (value, text) => {
    expect(tsvField(value)).toBe(text);
  });

  it.each([
    [0, '0000000000'],
    [5, '0000000005'],
    [999_999_999, '0999999999'],
    [1_768_035_600, '1768035600'],
    [4_294_967_295, '4294967295'],
  ])('writes the DateTime %d in the ten digits ClickHouse 18.16 reads', (seconds, text) => {
    expect(dateTime(seconds)).toBe(text);
  });

  it.each([-1, 1.5, 4_294_967_296])('refuses %d as a DateTime', (seconds) => {
    expect(() => dateTime(seconds)).toThrow(TypeError);
  });

  it('writes null as \\N and refuses non-finite numbers', () => {
    expect(tsvField(null)).toBe('\\N');
    expect(() => tsvField(Number.NaN)).toThrow(TypeError);
  });
});

describe('encoders', () => {
  const party = { country_code: 'NL', party_id: 'CPA' };
  const message = (body: object): OcpiPushMessage => ({ module: 'cdrs', event: 'post', path: [], body, object_key: 'k', sender: party, from: party, receiver: null, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:00:00Z' });
  const cdr = { id: 'CDR\t1', start_date_time: '2026-01-10T10:00:00Z', end_date_time: '2026-01-10T11:00:00Z', currency: 'EUR', cdr_location: { city: 'Den\nHaag' }, total_cost: { excl_vat: 4.5 }, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [] }] };

  it('writes one line per row with one field per column, in column order', () => {
    const rows = emptyRows();
    addOcpiMessage(rows, message(cdr), { seq: 3, ingestedAt: 100 });
    addOcpiMessage(rows, message({ ...cdr, id: 'CDR2' }), { seq: 4, ingestedAt: 100 });
    const text = encodeCdrs(rows.cdrs, 1);
    expect(text.chunks).toHaveLength(2);
    const fields = text.chunks[0].toString().replace(/\n$/, '').split('\t');
    expect(fields).toHaveLength(cdrColumns.length);
    expect(Object.fromEntries(cdrColumns.map((c, i) => [c, fields[i]]))).toMatchObject({ id: 'CDR\\t1', city: 'Den\\nHaag', total_cost_excl: '4.5', start_ts: String(Date.parse(cdr.start_date_time) / 1000), stream_seq: '3' });
    expect(new Set(cdrColumns)).toEqual(new Set(Object.keys(rows.cdrs[0])));
  });

  it('writes absent PATCH fields as NULL', () => {
    const text = encodeSessionEvents([{ country_code: 'NL', party_id: 'CPA', session_id: 'S1', event: 'patch', last_updated: 5, status: null, start_ts: null, end_ts: null, kwh: 3.5, token_uid: null, location_id: null, evse_uid: null, connector_id: null, currency: null, total_cost_excl: null, accepted_at: 5, ingested_at: 6, stream_seq: 7 }], 100);
    expect(text.chunks[0].toString()).toBe('NL\tCPA\tS1\tpatch\t0000000005\t\\N\t\\N\t\\N\t3.5\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t0000000005\t0000000006\t7\n');
  });

  it('leaves out empty tables and writes CDRs last', () => {
    const rows = emptyRows();
    addOcpiMessage(rows, message(cdr), { seq: 1, ingestedAt: 1 });
    expect(encodeRows(rows).map((t) => t.table)).toEqual(['cdr_charging_periods', 'cdrs']);
  });
});
