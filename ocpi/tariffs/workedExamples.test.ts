// The spec's worked examples (../shared/ocpi/tariff-worked-examples.json) through priceCdr.
// The same cases go through the CLI in src/cli/tariffPrice.test.ts.
import { describe, expect, it } from 'vitest';
import { priceCdr } from './price.ts';
import { loadVectors, workedExampleCases } from './test-support/workedExamples.ts';

const cases = workedExampleCases((actual, expected, what) => expect(actual, what).toEqual(expected));

describe('worked examples from the spec (bugfix branch values)', () => {
  it('covers every vector of the worked examples file', () => {
    const covered = new Set(cases.map((c) => c.vectorId));
    expect(loadVectors().map((v) => v.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = priceCdr({ tariffs: c.tariff, cdr: c.cdr, timeZone: c.timeZone });
    expect(r.total_cost.excl_vat).toBe(c.expected.excl_vat);
    if (c.expected.incl_vat !== null) expect(r.total_cost.incl_vat).toBe(c.expected.incl_vat);
    c.check?.(r);
  });
});
