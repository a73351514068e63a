import { describe, expect, it } from 'vitest';
import { describeInvalidCdr, invalidCdrs } from './cdrImportCheck.ts';
import { example } from '../../test/support/network.ts';

const valid = () => ({ ...example('cdr_example.json'), id: 'C1' });

describe('invalidCdrs', () => {
  it('accepts the spec example', () => {
    expect(invalidCdrs([valid(), valid()])).toEqual([]);
  });

  it.each([
    ['a four-letter currency', { currency: 'EURO' }, 'currency'],
    ['no id', { id: undefined }, 'id'],
    ['an end date that is no date', { end_date_time: 'yesterday' }, 'end_date_time'],
    ['a total cost that is no price', { total_cost: 'ten' }, 'total_cost'],
  ])('names the field of %s, with the CDR index', (_what, change, field) => {
    const [found] = invalidCdrs([valid(), { ...valid(), ...change }]);
    expect(found.index).toBe(1);
    expect(found.errors.map((e) => e.path)).toContain(field);
    expect(describeInvalidCdr(found)).toMatch(new RegExp(`^CDR #1 \\((id C1|no id)\\): .*${field}: `));
  });

  it('reports what is no object at all', () => {
    expect(invalidCdrs([null, 'x'])).toMatchObject([{ index: 0, id: null }, { index: 1, id: null }]);
  });
});
