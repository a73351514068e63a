import { describe, expect, it } from 'vitest';
import { nextOrderRequestId, orderExpired, orderRequestId } from './orderExpiry.ts';

describe('an expired PayPal order', () => {
  it.each([
    ['shown CREATED', { status: 'CREATED' }, false],
    ['shown APPROVED', { status: 'APPROVED' }, false],
    ['shown COMPLETED', { status: 'COMPLETED' }, false],
    ['shown VOIDED', { status: 'VOIDED' }, true],
    ['404 RESOURCE_NOT_FOUND / INVALID_RESOURCE_ID', { refused: { status: 404, name: 'RESOURCE_NOT_FOUND', issue: 'INVALID_RESOURCE_ID' } }, true],
    ['422 ORDER_EXPIRED on capture', { refused: { status: 422, name: 'UNPROCESSABLE_ENTITY', issue: 'ORDER_EXPIRED' } }, true],
    ['422 ORDER_NOT_APPROVED', { refused: { status: 422, name: 'UNPROCESSABLE_ENTITY', issue: 'ORDER_NOT_APPROVED' } }, false],
    ['401 AUTHENTICATION_FAILURE', { refused: { status: 401, name: 'AUTHENTICATION_FAILURE' } }, false],
    ['503 (PayPal down)', { refused: { status: 503, name: 'INTERNAL_SERVICE_ERROR' } }, false],
  ])('%s → %s', (_, lookUp, expired) => {
    expect(orderExpired(lookUp)).toBe(expired);
  });

  it.each([
    ['order-2026-11-EUR-NL-ABC', 'order-2026-11-EUR-NL-ABC-2'],
    ['order-2026-11-EUR-NL-ABC-2', 'order-2026-11-EUR-NL-ABC-3'],
    ['order-2026-11-EUR-NL-ABC-9', 'order-2026-11-EUR-NL-ABC-10'],
  ])('replaces the order of request %s with request %s', (current, next) => {
    expect(nextOrderRequestId('2026-11-EUR-NL-ABC', current)).toBe(next);
  });

  it('keeps the first order request id the hub always used', () => {
    expect(orderRequestId('ST')).toBe('order-ST');
  });
});
