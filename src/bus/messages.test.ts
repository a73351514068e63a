import { describe, expect, it } from 'vitest';
import { messageId, pushFindings, type OcpiPushMessage } from './messages.ts';

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

describe('messageId', () => {
  const push = (overrides: Partial<OcpiPushMessage>): OcpiPushMessage => ({ ...cdrMessage(undefined), module: 'locations', event: 'patch', object_key: 'locations:NL*CPA:LOC1', ...overrides });

  it('tells apart two pushes that reuse the sender X-Request-ID, by the hub push id', () => {
    expect(messageId(push({ request_id: 'same', push_id: 'p1' }))).not.toBe(messageId(push({ request_id: 'same', push_id: 'p2' })));
  });

  it('is the same for the messages of one push published twice (a retry after a lost acknowledgement)', () => {
    expect(messageId(push({ request_id: 'r1', push_id: 'p1' }))).toBe(messageId(push({ request_id: 'r2', push_id: 'p1' })));
  });

  it('differs per receiver of one push', () => {
    expect(messageId(push({ push_id: 'p1', receiver: { country_code: 'NL', party_id: 'EMA' } }))).not.toBe(messageId(push({ push_id: 'p1', receiver: { country_code: 'NL', party_id: 'EMB' } })));
  });
});
