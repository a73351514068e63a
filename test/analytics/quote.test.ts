// quote() against the real ClickHouse 18.16: hostile values round-trip exactly and never escape
// their literal (the result is one row with the value, not an error or a second statement).
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createClickHouse, quote } from '../../src/store/clickhouse.ts';
import { testConfig } from '../support/hub.ts';

const config = testConfig({ PORT: '18080' });
const ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
afterAll(() => ch.close());

async function roundTrip(value: string): Promise<string[]> {
  const rows = await (await ch.query({ query: `SELECT ${quote(value)} AS v`, format: 'JSONEachRow' })).json<{ v: string }>();
  return rows.map((r) => r.v);
}

describe('quote against ClickHouse', () => {
  it.each([
    "O'Brien",
    "'; DROP DATABASE system; --",
    "\\'; SELECT 1; --",
    'tab\there\nnewline\rcr',
    'back\\slash\\',
    "' OR '1'='1",
    'unicode ✓ é 中',
    'nul\0byte',
  ])('round-trips %j', async (value) => {
    expect(await roundTrip(value)).toEqual([value]);
  });

  it('round-trips arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (value) => {
        expect(await roundTrip(value)).toEqual([value]);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a hostile value inside an IN list of tuples', async () => {
    const hostile = "x'),('y";
    const rows = await (await ch.query({ query: `SELECT count() AS n FROM system.one WHERE ('a', ${quote(hostile)}) IN (('a', ${quote(hostile)}))`, format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(rows[0].n)).toBe(1);
  });
});
