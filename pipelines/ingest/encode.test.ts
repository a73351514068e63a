import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { encodeSlice, sliceOf } from './encode.ts';
import { addOcpiMessage, emptyRows } from './transform.ts';
import { encodeRows } from './tsv.ts';

const party = { country_code: 'NL', party_id: 'CPA' };
const message = (body: object, findings?: OcpiPushMessage['findings']): OcpiPushMessage => ({ module: 'cdrs', event: 'post', path: [], body, object_key: 'k', sender: party, from: party, receiver: { country_code: 'DE', party_id: 'MSB' }, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:00:00Z', findings });
const cdr = (id: string, city: string) => ({ id, start_date_time: '2026-01-10T10:00:00Z', end_date_time: '2026-01-10T11:00:00Z', currency: 'EUR', cdr_location: { id: 'L1', city }, cdr_token: { uid: 'T', type: 'RFID' }, total_cost: { excl_vat: 4.5 }, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [{ type: 'ENERGY', volume: 3 }] }] });
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString();

describe('encodeSlice', () => {
  it('writes the same text as mapping and encoding with every field escaped, whatever the strings hold', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.string({ unit: 'binary' }), fc.option(fc.string({ unit: 'binary' }), { nil: undefined })), { minLength: 1, maxLength: 8 }), (cdrs) => {
        const messages = cdrs.map(([id, city, finding]) => message(cdr(id, city), finding === undefined ? undefined : [{ rule: 'price_mismatch', severity: 'error', path: `total_cost${finding}`, message: finding }]));
        const rows = emptyRows();
        messages.forEach((m, i) => addOcpiMessage(rows, JSON.parse(JSON.stringify(m)), { seq: i + 1, ingestedAt: 9 }));
        const expected = encodeRows(rows, 100, false);
        const got = encodeSlice(sliceOf('ocpi', messages.map((m, i) => ({ data: bytes(m), seq: i + 1 })), 9));
        expect(got.texts.map((t) => [t.table, text(t.chunks)])).toEqual(expected.map((t) => [t.table, text(t.chunks)]));
      }),
      { numRuns: 300 },
    );
  });

  it('reports unmappable messages by index and encodes the others', () => {
    const payloads = [bytes(message(cdr('A', 'x'))), new TextEncoder().encode('not json'), bytes(message({ ...cdr('B', 'y'), id: undefined })), bytes(message(cdr('C', 'z')))];
    const out = encodeSlice(sliceOf('ocpi', payloads.map((data, i) => ({ data, seq: 10 + i })), 1));
    expect(out.cdrs).toBe(2);
    expect(out.unmappable.map((u) => u.index)).toEqual([1, 2]);
    const cdrs = text(out.texts.find((t) => t.table === 'cdrs')!.chunks).trim().split('\n');
    expect(cdrs.map((l) => l.split('\t')[2])).toEqual(['A', 'C']);
  });

  it('writes the findings a CDR was accepted with to validation_findings, before the CDRs; none for a CDR without', () => {
    const findings = [
      { rule: 'price_mismatch', severity: 'error' as const, path: 'total_cost', message: 'billed 9.5, tariff gives 4' },
      { rule: 'totals_mismatch', severity: 'error' as const, path: 'total_cost', message: 'not the sum\tof its parts' },
    ];
    const out = encodeSlice(sliceOf('ocpi', [bytes(message(cdr('A', 'x'), findings)), bytes(message(cdr('B', 'y')))].map((data, i) => ({ data, seq: i + 1 })), 1));
    expect(out.texts.map((t) => [t.table, t.rows])).toEqual([['cdr_charging_periods', 2], ['validation_findings', 2], ['cdrs', 2]]);
    const lines = text(out.texts.find((t) => t.table === 'validation_findings')!.chunks).trim().split('\n');
    expect(lines.map((l) => l.split('\t'))).toEqual([
      [String(Date.parse('2026-01-10T12:00:00Z') / 1000), 'cdrs', 'NL', 'CPA', 'A', 'price_mismatch', 'total_cost', 'billed 9.5, tariff gives 4', 'error'],
      [String(Date.parse('2026-01-10T12:00:00Z') / 1000), 'cdrs', 'NL', 'CPA', 'A', 'totals_mismatch', 'total_cost', 'not the sum\\tof its parts', 'error'],
    ]);
  });

  it('maps delivery facts from the traffic stream', () => {
    const fact = { module: 'cdrs', event: 'post', sender: 'NL-CPA', receiver: 'DE-MSB', outcome: 'delivered', attempts: 1, latency_ms: 20, status_code: 1000, at: '2026-01-10T10:00:00Z' };
    const out = encodeSlice(sliceOf('delivery', [{ data: bytes(fact), seq: 3 }], 1));
    expect(out.texts.map((t) => [t.table, t.rows])).toEqual([['deliveries', 1]]);
  });
});
