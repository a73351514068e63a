import { describe, expect, it } from 'vitest';
import { pushFindings, type OcpiPushMessage } from './messages.ts';

const party = { country_code: 'NL', party_id: 'CPA' };
const cdrMessage = (findings: OcpiPushMessage['findings']): OcpiPushMessage => ({ module: 'cdrs', event: 'post', path: [], body: { id: 'C1' }, object_key: 'k', sender: party, from: party, receiver: party, routing: 'direct', request_id: 'r', correlation_id: 'c', accepted_at: '2026-01-10T12:00:00Z', findings });

describe('pushFindings', () => {
  it('leaves the field out of a CDR message without findings (the usual message stays as small as before)', () => {
    expect(pushFindings([])).toBeUndefined();
    expect(JSON.stringify(cdrMessage(pushFindings([])))).not.toContain('findings');
  });

  it('carries rule, severity, path and message of each finding, not its figures', () => {
    const finding = { rule: 'price_mismatch', severity: 'error' as const, path: 'total_cost', message: 'billed 9.5, tariff gives 4', expected: { excl_vat: '4', incl_vat: '4.4' }, actual: { excl_vat: '9.5', incl_vat: '10.45' } };
    const warning = { rule: 'price_not_recomputable', severity: 'warning' as const, message: 'no tariff' };
    expect(JSON.parse(JSON.stringify(cdrMessage(pushFindings([finding, warning])))).findings).toEqual([
      { rule: 'price_mismatch', severity: 'error', path: 'total_cost', message: 'billed 9.5, tariff gives 4' },
      { rule: 'price_not_recomputable', severity: 'warning', message: 'no tariff' },
    ]);
  });
});
