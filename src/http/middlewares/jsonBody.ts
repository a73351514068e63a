import type { Middleware } from 'koa';
import { BodyTooLargeError, MalformedBodyError } from '../../errors.ts';

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
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw tooLarge();
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    if (raw.length > 0) {
      const type = ctx.get('content-type');
      if (type && !/^application\/(.+\+)?json\b/i.test(type)) throw new MalformedBodyError(`Content-Type must be application/json, got ${type.slice(0, 60)}`);
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
      let parsed: unknown;
      try {
        parsed = JSON.parse(text.decode(raw));
      } catch (err) {
        throw new MalformedBodyError(`request body is not valid UTF-8 JSON: ${err instanceof Error ? err.message.slice(0, 120) : 'parse error'}`);
      }
      ctx.state.body = parsed;
    }
    await next();
  };
}
