// The only pino() call. Child loggers per role and per request carry request id, correlation id
// and from/to party. Tokens never reach a log: Authorization headers and any `token` field are
// redacted at the root, whatever object a caller passes.
import { pino, type Logger, type DestinationStream } from 'pino';

// Paths are matched case-sensitively: the hub sends `Authorization`, Node hands us `authorization`.
export const redactedPaths = [
  'authorization',
  'Authorization',
  'token',
  'cookie',
  'password',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.cookie',
  '*.password',
  '*.*.authorization',
  '*.*.Authorization',
  '*.*.token',
  '*.*.cookie',
  '*.*.password',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'credentials.token',
];

export function createLogger(options: { level: string; destination?: DestinationStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? { service: 'ocpi-hub' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      // Errors carry whatever their library put on them (an HTTP client's request options with
      // headers and basic-auth passwords, at any depth): scrubbed by key and by content.
      serializers: { err: (err: Error) => scrubError(pino.stdSerializers.err(err)) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

// Secrets inside a serialized error, wherever a library put them. Paths in the redact list only
// reach what they name; an error's properties are open-ended (request options, response headers),
// so errors are walked whole. Errors are rare: the walk costs nothing on the hot path.

/** Keys whose values are credentials, compared without case and without - and _. */
const SECRET_KEYS = new Set(['authorization', 'proxyauthorization', 'cookie', 'setcookie', 'token', 'accesstoken', 'refreshtoken', 'password', 'passwd', 'pass', 'secret', 'clientsecret', 'oauthclientsecret', 'apikey', 'xapikey']);

// Credentials inside text: an Authorization value, and user:password@ in a URL (SMTP_URL, a DSN).
// The scheme is bounded so the pattern stays linear on long messages.
const AUTH_VALUE = /\b(Token|Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{8,}/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,15}:\/\/)[^\s/@:]+:[^\s/@]*@/gi;

const MAX_DEPTH = 10;

export const CENSOR = '[redacted]';

export function scrubText(text: string): string {
  return text.replace(AUTH_VALUE, `$1 ${CENSOR}`).replace(URL_USERINFO, `$1${CENSOR}@`);
}

const isSecretKey = (key: string) => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/** A copy of `value` with secret keys censored and secrets in strings masked; cycles and depth cut. */
export function scrubError<T>(value: T): T {
  return scrub(value, 0, new WeakSet()) as T;
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (!value || typeof value !== 'object') return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[omitted]';
  seen.add(value);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.constructor.name}]`;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
  if (value instanceof Map || value instanceof Set || value instanceof Date) return String(value);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = isSecretKey(key) ? CENSOR : scrub(child, depth + 1, seen);
  return out;
}

export type { Logger };
