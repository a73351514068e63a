import { describe, expect, it } from 'vitest';
import { commandTokenRows } from './commandTokens.ts';

describe('commandTokenRows', () => {
  const requester = { country_code: 'de', party_id: 'ktm' };
  it.each([
    ['uid and contract_id, upper-case', { uid: 'app-1', contract_id: 'de-ktm-c1' }, [['uid', 'APP-1'], ['contract_id', 'DE-KTM-C1']]],
    ['uid only', { uid: 'APP-2' }, [['uid', 'APP-2']]],
    ['empty values left out', { uid: '', contract_id: 'C3' }, [['contract_id', 'C3']]],
    ['no token', undefined, []],
    ['not an object', 'APP-4', []],
  ] as const)('%s', (_name, token, expected) => {
    const rows = commandTokenRows(token, requester);
    expect(rows.map((r) => [r.field, r.value])).toEqual(expected);
    for (const row of rows) expect([row.country_code, row.party_id]).toEqual(['DE', 'KTM']);
  });
});
