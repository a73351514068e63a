// A settle run that stops after PayPal created an order but before the hub saved the order's id.
// The hub writes the PayPal-Request-Id (with the payment row) and the time it asked before calling
// PayPal. Asking again with the same id within PayPal's window for Orders (6 hours unless PayPal
// extended it for the account, up to 72) returns that same order, so nothing is lost. After the
// window PayPal creates a second order, and the first cannot be found again: Orders v2 has no
// search or list (an order is read by its id only, which was lost with the answer), and
// Transaction Search shows money that moved, not orders. That first order is harmless: nobody can
// pay it, because its approval link (which carries its id) was never shown to anyone, and with
// intent CAPTURE money moves only when the hub captures, which it does for saved ids only; PayPal
// also refuses to capture a second payment with the statement's invoice_id where the account
// requires unique invoice ids. It expires on its own. The run reports it, so nobody wonders.

/** How long PayPal replays an order creation for its PayPal-Request-Id (Orders v2 default). */
export const ORDER_REQUEST_ID_WINDOW_MS = 6 * 3600_000;

export interface PossibleOrphanOrder {
  statement: string;
  party: string;
  request_id: string;
  requested_at: string;
  why: string;
}

/**
 * Whether asking again for an order whose creation's answer was lost (requested at `requestedAt`,
 * no order id saved) may leave a first order behind: true once PayPal's request-id window is over.
 */
export function mayOrphanOrder(requestedAt: Date | null, now: Date, windowMs = ORDER_REQUEST_ID_WINDOW_MS): boolean {
  return requestedAt !== null && now.getTime() - requestedAt.getTime() >= windowMs;
}

export function possibleOrphan(p: { statement_id: string; party: string; request_id: string }, requestedAt: Date): PossibleOrphanOrder {
  return {
    statement: p.statement_id,
    party: p.party,
    request_id: p.request_id,
    requested_at: requestedAt.toISOString(),
    why: 'an earlier run asked PayPal for this order and stopped before saving it, longer ago than PayPal replays a PayPal-Request-Id: PayPal may hold an order the hub cannot look up (Orders v2 has no search). Nobody can pay it: its link was never shown and only the hub captures; it expires unpaid.',
  };
}
