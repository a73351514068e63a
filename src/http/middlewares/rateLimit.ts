import type { Context, Middleware } from 'koa';
import type { Config } from '../../config.ts';
import { AdminUnauthorizedError, HubError } from '../../errors.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';

/** HTTP 429 with an OCPI envelope (2000) and a Retry-After header (set by `partnerRateLimit`). */
export class RateLimitedError extends HubError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limit exceeded: retry after ${retryAfterSeconds} s`, OcpiStatus.ClientError, 429);
  }
}

/**
 * Token buckets keyed by a string (a platform id): `ratePerSecond` tokens flow in, at most `burst`
 * are kept. `take` answers 0 when a request may pass, or the seconds to wait (at least 1) when not.
 * Pure apart from the clock, which is injectable for tests.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    // Keys can be client addresses, which a caller with an IPv6 prefix has without end: past this
    // many buckets, those with most tokens left are dropped (a full one is no different from none),
    // so an address that used up its bucket stays limited.
    private readonly maxKeys = 100_000,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    const tokens = (b: { tokens: number; at: number }) => b.tokens + ((now - b.at) / 1000) * this.ratePerSecond;
    const fullest = [...this.buckets].sort(([, a], [, b]) => tokens(b) - tokens(a));
    const keep = Math.floor(this.maxKeys * 0.9);
    for (const [key, bucket] of fullest) {
      if (this.buckets.size <= keep && tokens(bucket) < this.burst) break;
      this.buckets.delete(key);
    }
  }

  /** Seconds until `key` has a whole token again (0: it has one now); takes nothing. */
  peek(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.burst, bucket.tokens + ((this.now() - bucket.at) / 1000) * this.ratePerSecond);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond));
  }

  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) this.prune(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }
}

// One set of buckets per hub (per Config object), shared by every router's authenticate().
const perHub = new WeakMap<Config, TokenBuckets>();

/**
 * Per-partner rate limit, applied right after authentication: each platform has its own bucket of
 * RATE_LIMIT_PER_SECOND with bursts up to RATE_LIMIT_BURST (0 turns the limit off). Over the limit:
 * HTTP 429, `Retry-After` in seconds, OCPI status 2000; nothing of the request is processed.
 * The buckets live in the web process: with N web processes a partner gets up to N times the rate.
 */
export function partnerRateLimit(ctx: Context, config: Config, platformId: string): void {
  if (config.RATE_LIMIT_PER_SECOND <= 0) return;
  let buckets = perHub.get(config);
  if (!buckets) {
    buckets = new TokenBuckets(config.RATE_LIMIT_PER_SECOND, Math.max(1, config.RATE_LIMIT_BURST));
    perHub.set(config, buckets);
  }
  const wait = buckets.take(platformId);
  if (wait === 0) return;
  ctx.set('Retry-After', String(wait));
  throw new RateLimitedError(wait);
}

/**
 * Admin API: failed credentials are limited per client address (ADMIN_AUTH_FAILURES_PER_MINUTE,
 * bursts of twice that; 0 turns it off). Past the limit every admin call from that address is 429
 * with Retry-After until the bucket refills, so the admin token cannot be guessed at speed.
 * Mounted in front of adminAuth; successful calls cost nothing.
 */
export function adminAuthFailureLimit(config: Config): Middleware {
  const perMinute = config.ADMIN_AUTH_FAILURES_PER_MINUTE;
  const failures = new TokenBuckets(perMinute / 60, Math.max(1, perMinute * 2));
  return async function adminAuthFailureLimitMiddleware(ctx, next) {
    if (perMinute <= 0) return next();
    const client = ctx.ip || 'unknown';
    // Peek: a client whose failures used up the bucket waits, whatever it sends now.
    const wait = failures.peek(client);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      throw new RateLimitedError(wait);
    }
    // adminAuth counts a failure the moment it sees one, before it awaits the audit write: counted
    // only once the refusal comes back here, every guess sent in parallel would pass the peek.
    let counted = false;
    (ctx.state as AdminAuthFailureState).countAdminAuthFailure = () => {
      if (!counted) failures.take(client);
      counted = true;
    };
    try {
      await next();
    } catch (err) {
      if (err instanceof AdminUnauthorizedError && !counted) failures.take(client);
      throw err;
    }
  };
}

/** What adminAuthFailureLimit leaves in ctx.state for adminAuth. */
export interface AdminAuthFailureState {
  countAdminAuthFailure?: () => void;
}
