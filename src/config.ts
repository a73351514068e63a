// The only place that reads process.env. Parsed once at boot; a missing or invalid value stops
// the process with a message naming the variable. Secrets have no defaults: a local setup gets
// them generated into the git-ignored .env.local (see ensureLocalSecrets).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { trimTrailingSlashes } from './trimTrailingSlashes.ts';

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);
const partyCode = (length: number) => z.string().regex(new RegExp(`^[A-Za-z0-9]{${length}}$`), `must be ${length} letters or digits`);
const key32 = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, Base64-encoded (openssl rand -base64 32)');
const seconds = z.coerce.number({ error: 'must be a number of seconds' }).min(1, 'must be at least 1 (seconds)').max(3600, 'must be at most 3600 (seconds)');
const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const EnvSchema = z.object({
  PORT: port.default(8080),
  HUB_PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/ocpi_hub'),
  // One server or a cluster: comma-separated URLs.
  NATS_URL: z
    .string()
    .refine((value) => value.split(',').every((one) => url(['nats:', 'tls:']).safeParse(one.trim()).success), 'must be nats:// or tls:// URLs, comma-separated for a cluster')
    .default('nats://127.0.0.1:4222'),
  NATS_STREAM_PREFIX: z.string().regex(/^[A-Z0-9_]{1,32}$/, 'must be upper-case letters, digits or _').default('OCPI'),
  CLICKHOUSE_URL: url(['http:', 'https:']).default('http://127.0.0.1:8123'),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be an identifier').default('ocpi_hub'),
  HUB_COUNTRY_CODE: partyCode(2).default('NL'),
  HUB_PARTY_ID: partyCode(3).default('HUB'),
  HUB_NAME: z.string().min(1).max(100).default('OCPI Hub'),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters'),
  TOKEN_ENCRYPTION_KEY: key32,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  // How long the web role waits for a client's request, so a slow or stalled client cannot hold
  // sockets (Node's defaults are 60 s for headers and 300 s for the whole request). Partners are
  // servers: their headers fit one packet, and the largest body (BODY_LIMIT_BYTES, 1 MB) arrives in
  // 60 s even at 17 KB/s. Only receiving the request counts, not the hub's time to answer it. Over
  // either: HTTP 408 with an OCPI envelope, and the connection is closed. Headers are part of the
  // request, so their limit is not longer than the request's.
  HTTP_HEADERS_TIMEOUT_S: seconds.default(20),
  HTTP_REQUEST_TIMEOUT_S: seconds.default(60),
  // Idle time after a response before the web role closes a keep-alive connection. Longer than the
  // idle timeout of the load balancer in front (60 s on AWS ALB and nginx by default; raise it
  // behind one that keeps idle connections longer, e.g. Google Cloud's 600 s): a balancer that
  // reuses a connection the hub has just closed answers its client 502.
  HTTP_KEEP_ALIVE_TIMEOUT_S: seconds.default(65),
  FORWARD_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  PAGE_LIMIT_MAX: z.coerce.number().int().min(1).max(10_000).default(1000),
  NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  // Ordered delivery lanes per receiver: objects hash onto lanes, each lane delivers in order.
  DELIVERY_PARTITIONS: z.coerce.number().int().min(1).max(256).default(16),
  // CDRs no roaming agreement covers: routed and held out of clearing until one does, or refused.
  CDR_WITHOUT_AGREEMENT: z.enum(['hold', 'refuse']).default('hold'),
  // Pushes a receiver has not accepted by then become dead letters (default 7 days).
  DELIVERY_HORIZON_HOURS: z.coerce.number().min(0.0001).default(168),
  DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(10).default(1000),
  DELIVERY_BACKOFF_MAX_MS: z.coerce.number().int().min(100).default(3_600_000),
  // Command and charging profile results the requester's response_url did not take at once are
  // retried (the backoff above) for this long after the CPO posted them, then given up.
  CALLBACK_RELAY_HORIZON_S: z.coerce.number().min(1).default(3600),
  // A hub callback URL takes results for this long after its request (RESERVE_NOW: after the
  // reservation's expiry_date); later it is refused like an unknown one (404 + 2001).
  CALLBACK_TTL_HOURS: z.coerce.number().min(0.0001).default(48),
  // Results relayed, refused or given up this long ago are deleted by the worker role (hourly), and
  // callbacks expired this long ago with no result pending, with their results (default 30 days).
  // 0 keeps them forever.
  CALLBACK_RETENTION_S: z.coerce.number().min(0).default(2_592_000),
  // Outbox sweeper (worker role): every OUTBOX_SWEEP_S seconds, CDRs and object pushes stored more
  // than OUTBOX_GRACE_S ago whose publication JetStream never confirmed are published (0 turns the
  // sweeper off). Keep
  // the grace plus the interval under the streams' 120 s duplicate window.
  OUTBOX_SWEEP_S: z.coerce.number().min(0).default(60),
  OUTBOX_GRACE_S: z.coerce.number().min(0).default(30),
  // HubClientInfo still-alive check: a CONNECTED party the hub has heard nothing from for this long
  // gets a GET on its versions endpoint; when that fails it is OFFLINE. OFFLINE parties are checked
  // every 30 s (or this, when shorter) until they answer.
  STILL_ALIVE_AFTER_S: z.coerce.number().min(1).default(300),
  // A platform that has just registered gets the ClientInfo of every other party pushed to it. Off by
  // default: the spec has a party GET the HubClientInfo list at start-up (pull) and pushes changes only.
  CLIENT_INFO_PUSH_ON_REGISTER: boolean.default(false),
  // A partner whose registration answer (token C) was lost may repeat the same POST (same token B,
  // versions URL and roles) with its token A for this long after registering, until it first uses
  // token C; it gets a new token C replacing the first. Long enough for a retry after an outage
  // overnight, short enough that a token A read later is worth nothing (default 24 h). 0 turns it off.
  REGISTRATION_RETRY_WINDOW_S: z.coerce.number().int().min(0).default(86_400),
  // Partners on loopback/private addresses are refused unless this is set (tests and local demos).
  ALLOW_PRIVATE_PARTNER_URLS: boolean.default(false),
  // Requests per second and burst per partner platform (per web process); over it: HTTP 429 with Retry-After. 0 turns it off.
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(2000),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(4000),
  // Proxies (load balancers) in front of the web role that append the address they received a
  // request from to X-Forwarded-For. 0: the socket address is the client's (nothing may stand in
  // front). N: the client is the address the outermost of N proxies saw, read the way Koa's
  // proxy/maxIpsCount do, so entries a client sends itself are ignored. Only the client address is
  // taken from the proxies: public URLs come from HUB_PUBLIC_URL, never from X-Forwarded-Host/Proto.
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // Failed admin credentials per minute per client address (bursts of twice that); past it the admin API answers 429. 0 turns it off.
  ADMIN_AUTH_FAILURES_PER_MINUTE: z.coerce.number().min(0).default(10),
  // Clearing settlement through PayPal: sandbox or production, or the local stand-in (tests, demo).
  // Client id and secret have no default; they are only required when settling.
  PAYPAL_ENVIRONMENT: z.enum(['sandbox', 'production', 'standin']).default('sandbox'),
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_BASE_URL: url(['http:', 'https:']).optional(),
  // CPU priority (nice) a hub process without the web role takes at start, where web and background
  // roles share cores: a burst of deliveries or bookings then waits for the CPOs' requests, not the
  // reverse. Off by default: on a machine busy with other work a niced worker can starve.
  BACKGROUND_NICE: z.coerce.number().int().min(0).max(19).default(0),
  // How often the worker role retries refunds PayPal has not taken yet (disputes won after payment).
  REFUND_RETRY_INTERVAL_MS: z.coerce.number().int().min(100).default(300_000),
  // Analytics: a CDR arriving more than this many days after its session ended is flagged (late_cdr).
  ANOMALY_LATE_CDR_DAYS: z.coerce.number().min(1).default(90),
  // Analytics: how often party drift is judged (only the days that received CDRs since, and days just closed).
  ANOMALY_DRIFT_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  // Analytics: hours after a UTC day ends before party drift judges it. CPOs that upload a day's
  // CDRs in a nightly batch send them after midnight; judged at midnight, every day looks like an outage.
  ANOMALY_DRIFT_GRACE_H: z.coerce.number().min(0).default(24),
  // Analytics rollups (pipelines role): how often the days touched by new CDRs are recomputed.
  ANALYTICS_ROLLUP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  // Delivery backlog (pipelines role): how often the delivery lanes are sampled into ClickHouse.
  DELIVERY_BACKLOG_SAMPLE_MS: z.coerce.number().int().min(100).default(15_000),
  // Billing emails (statements, reminders, login links) over SMTP; without SMTP_URL they stay queued.
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('OCPI Hub billing <billing@localhost>'),
  // Where overdue statements are escalated (the hub operator's settlement team); unset: portal and audit only.
  BILLING_ESCALATION_EMAIL: z.email().optional(),
  BILLING_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  // A payer's statement email waits this long for its PayPal pay link (created at settlement) before it goes with the portal link.
  BILLING_PAYLINK_WAIT_HOURS: z.coerce.number().min(0).default(24),
  // Portal sessions and CSRF tokens are keyed with this secret; without it the portal is off.
  PORTAL_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PORTAL_SESSION_HOURS: z.coerce.number().min(0.01).max(720).default(12),
}).superRefine((env, ctx) => {
  if (env.HTTP_HEADERS_TIMEOUT_S > env.HTTP_REQUEST_TIMEOUT_S) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_S'],
      message: `(${env.HTTP_HEADERS_TIMEOUT_S}) must not be longer than HTTP_REQUEST_TIMEOUT_S (${env.HTTP_REQUEST_TIMEOUT_S}): the headers are part of the request`,
    });
  }
});

export type Config = Readonly<Omit<z.infer<typeof EnvSchema>, 'HUB_PUBLIC_URL'> & { HUB_PUBLIC_URL: string }>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      const message = issue.code === 'invalid_type' && env[variable] === undefined ? 'is required' : issue.message;
      return `${variable} ${message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const parsed = result.data;
  const publicUrl = trimTrailingSlashes(parsed.HUB_PUBLIC_URL ?? `http://127.0.0.1:${parsed.PORT}`);
  return Object.freeze({ ...parsed, HUB_PUBLIC_URL: publicUrl });
}

let loaded: Config | undefined;

/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  loaded ??= parseConfig(process.env);
  return loaded;
}

/**
 * For local commands (start, demo, migrate): fills ADMIN_TOKEN and TOKEN_ENCRYPTION_KEY from
 * `.env.local`, generating that file once when absent. Variables already set in the environment win.
 * Production deployments set both variables and never reach the generation branch.
 */
export function ensureLocalSecrets(file: string): { generated: boolean } {
  let generated = false;
  if (!existsSync(file)) {
    if (process.env.ADMIN_TOKEN && process.env.TOKEN_ENCRYPTION_KEY) return { generated };
    const content = [
      '# Generated by `hub` for local use. Keep out of version control.',
      `ADMIN_TOKEN=${randomBytes(24).toString('base64url')}`,
      `TOKEN_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}`,
      `PORTAL_SESSION_SECRET=${randomBytes(32).toString('base64url')}`,
      '',
    ].join('\n');
    writeFileSync(file, content, { mode: 0o600 });
    generated = true;
  }
  // Files generated before the portal existed get its secret appended once.
  if (process.env.PORTAL_SESSION_SECRET === undefined && !/^PORTAL_SESSION_SECRET=/m.test(readFileSync(file, 'utf8'))) appendFileSync(file, `PORTAL_SESSION_SECRET=${randomBytes(32).toString('base64url')}\n`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
  return { generated };
}

/** Test and tool code that needs a variable not in the hub's schema reads it here (one place). */
export function envValue(name: string): string | undefined {
  return process.env[name];
}
