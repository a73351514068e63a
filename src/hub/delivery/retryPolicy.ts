// When to try a delivery again (pure). Exponential backoff with full jitter, capped; a receiver's
// Retry-After wins; past the horizon the push becomes a dead letter.

export type DeliveryVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'rejected'; reason: string };

export interface ReplyFacts {
  httpStatus?: number;
  ocpiStatus?: number;
  retryAfter?: string | null;
  error?: string;
}

/**
 * Classifies a receiver's answer. Only the receiver's own 2xxx in an OCPI envelope refuses the
 * content, and that is final: sending the same again will not help. An HTTP 4xx without an
 * envelope comes from something in front of the receiver (a proxy or load balancer during a
 * deploy, a gateway that lost its route) and says nothing about the content: it is retried until
 * the horizon like any other outage.
 */
export function classifyReply(reply: ReplyFacts): DeliveryVerdict {
  if (reply.error) return { kind: 'retry', reason: reply.error };
  const http = reply.httpStatus ?? 0;
  if (http === 429) return { kind: 'retry', reason: 'HTTP 429', retryAfterMs: parseRetryAfter(reply.retryAfter) };
  if (http >= 500 || http === 408 || http === 401 || http === 403 || http === 0) return { kind: 'retry', reason: `HTTP ${http}` };
  const ocpi = reply.ocpiStatus;
  if (ocpi === undefined) return { kind: 'retry', reason: `HTTP ${http} without an OCPI envelope` };
  if (http >= 200 && http < 300 && ocpi >= 1000 && ocpi < 2000) return { kind: 'delivered' };
  if (ocpi >= 2000 && ocpi < 3000) return { kind: 'rejected', reason: `OCPI ${ocpi}` };
  return { kind: 'retry', reason: http >= 200 && http < 300 ? `OCPI ${ocpi}` : `HTTP ${http} with OCPI ${ocpi}` };
}

export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Delay before attempt n+1 after n failed attempts (n ≥ 1): full jitter over an exponential cap. */
export function backoffDelay(failedAttempts: number, options: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(failedAttempts - 1, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

export function pastHorizon(acceptedAt: string, horizonMs: number, now = Date.now()): boolean {
  return now - Date.parse(acceptedAt) > horizonMs;
}

/**
 * When to try again after a failed attempt, or `undefined` when no attempt is left before the
 * horizon. The backoff is cut to the time left, so the last attempt comes at the horizon rather
 * than the message giving up up to a whole backoff early; a receiver's Retry-After past the horizon
 * is respected (coming back earlier would only be refused again).
 */
export function retryDelay(acceptedAt: string, horizonMs: number, wait: { retryAfterMs?: number; backoffMs: number }, now = Date.now()): number | undefined {
  const left = Date.parse(acceptedAt) + horizonMs - now;
  const delay = Math.max(wait.retryAfterMs ?? Math.min(wait.backoffMs, left), MIN_RETRY_MS);
  return delay <= left ? delay : undefined;
}

const MIN_RETRY_MS = 50;

/** The reason of a message dead-lettered past the horizon before any attempt this process saw fail. */
export const PAST_HORIZON = 'past the delivery horizon before an attempt';

export type BeforeAttempt = { kind: 'attempt' } | { kind: 'wait' } | { kind: 'dead_letter'; reason: string };

/**
 * Whether a message the worker has just taken is sent, waits, or becomes a dead letter without an
 * attempt. A suspended receiver (or one whose platform unregistered) is not attempted; it waits in
 * its lane until the horizon and is then kept for an operator, who replays it after a resume or a
 * new registration: left to wait, the stream would delete it unseen. A message already past the
 * horizon (workers were down, a lane opened late) is not sent late either.
 */
export function beforeAttempt(receiver: { status: string; platformState: string } | undefined, acceptedAt: string, horizonMs: number, now = Date.now()): BeforeAttempt {
  const expired = pastHorizon(acceptedAt, horizonMs, now);
  if (receiver?.status === 'SUSPENDED') {
    if (!expired) return { kind: 'wait' };
    return { kind: 'dead_letter', reason: receiver.platformState === 'REGISTERED' ? 'receiver suspended past the delivery horizon' : 'receiver unregistered past the delivery horizon' };
  }
  if (expired) return { kind: 'dead_letter', reason: PAST_HORIZON };
  return { kind: 'attempt' };
}
