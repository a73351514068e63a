// PayPal orders the payer never approved (or approved but the hub never captured) expire: PayPal
// then answers GET /v2/checkout/orders/{id} with 404 RESOURCE_NOT_FOUND (issue INVALID_RESOURCE_ID),
// as for an id it never issued, or shows the order VOIDED; capturing it is refused the same way (or
// with ORDER_EXPIRED). Its approval link leads nowhere, so the statement needs a fresh order. Each
// fresh order gets its own PayPal-Request-Id (PayPal would otherwise replay the expired one while
// it still holds the id), derived from the statement and a counter, so a rerun after a crash
// replays the same creation instead of making another order.

export interface OrderLookUp {
  /** The order's status when PayPal showed it. */
  status?: string;
  /** PayPal's refusal when it did not. */
  refused?: { status: number; name?: string; issue?: string };
}

const GONE_ISSUES = new Set(['INVALID_RESOURCE_ID', 'ORDER_EXPIRED', 'ORDER_ALREADY_VOIDED', 'ORDER_VOIDED']);

/** Whether the order can no longer be approved or captured, so the payer needs a new one. */
export function orderExpired(lookUp: OrderLookUp): boolean {
  if (lookUp.status !== undefined) return lookUp.status === 'VOIDED';
  const r = lookUp.refused;
  if (!r) return false;
  if (r.status === 404) return r.name === 'RESOURCE_NOT_FOUND' || r.issue === 'INVALID_RESOURCE_ID';
  return r.status === 422 && r.issue !== undefined && GONE_ISSUES.has(r.issue);
}

/** The PayPal-Request-Id of a statement's first order, and of each fresh one after an expiry. */
export function orderRequestId(statementId: string, attempt = 1): string {
  return attempt <= 1 ? `order-${statementId}` : `order-${statementId}-${attempt}`;
}

/** The request id for the order that replaces the one created with `current`. */
export function nextOrderRequestId(statementId: string, current: string): string {
  const base = orderRequestId(statementId);
  const suffix = current.startsWith(`${base}-`) ? Number(current.slice(base.length + 1)) : NaN;
  return orderRequestId(statementId, Number.isInteger(suffix) && suffix > 1 ? suffix + 1 : 2);
}
