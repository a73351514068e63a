import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { BodyIncompleteError, BodyTooLargeError, MalformedBodyError } from '../../errors.ts';

// One decoder for all requests: decode() without `stream` keeps no state between calls.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads the body with a size limit and parses it as JSON. Not JSON → HTTP 400 (status_codes:
 * MUST); too large → 413 with an OCPI 2001 envelope; in both cases nothing is stored.
 */
export function jsonBody(limitBytes: number): Middleware {
  return async function jsonBodyMiddleware(ctx, next) {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'DELETE') {
      await next();
      return;
    }
    // The rest of a too large body is never read: the connection is closed after the 413, or a
    // client reusing it would wait for an answer until the keep-alive timeout (found by the fuzzer).
    const tooLarge = () => {
      ctx.set('Connection', 'close');
      return new BodyTooLargeError(limitBytes);
    };
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limitBytes) throw tooLarge();
    const raw = await readBody(ctx.req, limitBytes);
    if (raw === 'too large') throw tooLarge();
    if (raw.length > 0) {
      const type = ctx.get('content-type');
      if (type && !/^application\/(.+\+)?json\b/i.test(type)) throw new MalformedBodyError(`Content-Type must be application/json, got ${type.slice(0, 60)}`);
      let text: string;
      let parsed: unknown;
      try {
        text = utf8.decode(raw);
        parsed = JSON.parse(text);
      } catch (err) {
        throw new MalformedBodyError(`request body is not valid UTF-8 JSON: ${err instanceof Error ? err.message.slice(0, 120) : 'parse error'}`);
      }
      ctx.state.body = parsed;
      // Only a \u escape can put a NUL or a lone surrogate into a parsed string (raw ones are not
      // valid JSON or not valid UTF-8): inputGuard skips looking at strings when there is none.
      ctx.state.bodyHasEscapes = text.includes('\\u');
    }
    await next();
  };
}

/** The whole body, or 'too large' as soon as it passes the limit (events: cheaper than for-await). */
function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.pause();
        resolve('too large');
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    // A socket closed mid-body ('aborted', ECONNRESET) is the client's doing or the request timeout's.
    const onError = (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(err.code === 'ECONNRESET' || req.destroyed ? new BodyIncompleteError() : err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
