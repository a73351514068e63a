import { afterAll, describe, expect, it } from 'vitest';
import { encodeSlice, sliceOf } from './encode.ts';
import { createEncodePool, EncodeWorkerError } from './encodePool.ts';

const pool = createEncodePool(2);
afterAll(() => pool.close());

const party = { country_code: 'NL', party_id: 'CPA' };
const payload = (body: unknown, sender: unknown = party) =>
  new TextEncoder().encode(JSON.stringify({ module: 'cdrs', event: 'post', path: [], body, object_key: 'k', sender, from: party, receiver: null, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:00:00Z' }));
const cdr = (id: string) => ({ id, start_date_time: '2026-01-10T10:00:00Z', end_date_time: '2026-01-10T11:00:00Z', currency: 'EUR', cdr_location: { city: 'Den\tHaag' }, charging_periods: [{ start_date_time: '2026-01-10T10:00:00Z', dimensions: [] }] });

describe('encoding worker pool', () => {
  it('encodes slices as this thread does, several at once', async () => {
    // A slice is handed over to the pool (its arrays move to the worker): one copy each way.
    const slices = () => [0, 1, 2].map((n) => sliceOf('ocpi', [cdr(`A${n}`), cdr(`B${n}`), 'junk'].map((b, i) => ({ data: typeof b === 'string' ? new TextEncoder().encode(b) : payload(b), seq: n * 10 + i })), 7));
    const got = await Promise.all(slices().map((s) => pool.encode(s)));
    const plain = (e: ReturnType<typeof encodeSlice>) => ({ ...e, texts: e.texts.map((t) => ({ ...t, chunks: Buffer.concat(t.chunks).toString() })) });
    expect(got.map(plain)).toEqual(slices().map((s) => plain(encodeSlice(s))));
    expect(got[0].unmappable).toEqual([{ index: 2, reason: expect.any(String) }]);
  });

  it('fails a slice whose mapping fails unexpectedly (its batch is retried) and goes on working', async () => {
    const broken = sliceOf('ocpi', [{ data: payload(cdr('X'), null), seq: 1 }], 7);
    await expect(pool.encode(broken)).rejects.toThrow(EncodeWorkerError);
    const fine = await pool.encode(sliceOf('ocpi', [{ data: payload(cdr('Y')), seq: 2 }], 7));
    expect(fine.cdrs).toBe(1);
  });
});
