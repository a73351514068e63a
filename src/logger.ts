// The only pino() call. Child loggers per role and per request carry request id, correlation id
// and from/to party. Tokens never reach a log: Authorization headers and any `token` field are
// redacted at the root, whatever object a caller passes.
import { pino, type Logger, type DestinationStream } from 'pino';

export const redactedPaths = [
  'authorization',
  'token',
  '*.authorization',
  '*.token',
  '*.*.authorization',
  '*.*.token',
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
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export type { Logger };
