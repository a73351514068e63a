import type { Middleware } from 'koa';
import { InvalidParametersError } from '../../errors.ts';
import { assertCanonicalPrefix } from './pathCase.ts';

/** OCPI objects nest a few levels (a Tariff's restrictions sit at depth 6); far deeper is an attack. */
export const MAX_BODY_DEPTH = 32;

// NUL (Postgres text and jsonb refuse it) and UTF-16 surrogates without their partner (jsonb refuses
// "\ud800"; as UTF-8 they are not even text).
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses, before any handler sees it, text the stores cannot keep and nesting the validators should
 * not walk: a NUL or an unpaired surrogate in the path, the query or any body string or key, and
 * bodies nested deeper than MAX_BODY_DEPTH. OCPI 2001 naming where (found by test/security/fuzz.test.ts:
 * these were 3000s from Postgres and stack overflows). Also turns away protocol prefixes spelt in
 * other than lower case, which would slip past the routers' authentication (pathCase.ts).
 */
export function inputGuard(): Middleware {
  return async function inputGuardMiddleware(ctx, next) {
    assertCanonicalPrefix(ctx.method, ctx.path);
    if (UNSAFE.test(decoded(ctx.path)) || UNSAFE.test(decoded(ctx.querystring))) {
      throw new InvalidParametersError('the URL contains a NUL character or invalid UTF-8', [{ path: 'url', message: 'NUL or invalid UTF-8' }]);
    }
    if (ctx.state.body !== undefined && !acceptable(ctx.state.body, ctx.state.bodyHasEscapes !== false)) checkBody(ctx.state.body);
    await next();
  };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Not decodable: handlers see it as given (koa-router keeps undecodable params raw).
    return text.replace(/%00/g, '\u0000');
  }
}

/**
 * The common case, cheaply: no path strings are built. Strings are only looked at when the JSON
 * text had \u escapes. A false answer sends the body to checkBody, which names the field.
 */
function acceptable(body: unknown, checkStrings: boolean): boolean {
  const stack: unknown[] = [body];
  const depths: number[] = [0];
  while (stack.length) {
    const value = stack.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (checkStrings && UNSAFE.test(value)) return false;
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return false;
    if (Array.isArray(value)) {
      for (const child of value) {
        stack.push(child);
        depths.push(depth + 1);
      }
    } else {
      for (const key in value) {
        if (checkStrings && UNSAFE.test(key)) return false;
        stack.push((value as Record<string, unknown>)[key]);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

/** Walks the body without recursion, so nesting cannot overflow the stack here either. */
function checkBody(body: unknown): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path: at, depth } = stack.pop()!;
    const path = at || '$';
    if (typeof value === 'string') {
      if (UNSAFE.test(value)) throw new InvalidParametersError(`${path}: contains a NUL character or an unpaired UTF-16 surrogate`, [{ path, message: 'NUL or unpaired surrogate' }]);
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) throw new InvalidParametersError(`${path}: nested deeper than ${MAX_BODY_DEPTH} levels`, [{ path, message: `nested deeper than ${MAX_BODY_DEPTH} levels` }]);
    for (const [key, child] of Object.entries(value)) {
      if (UNSAFE.test(key)) throw new InvalidParametersError(`${path}: a field name contains a NUL character or an unpaired UTF-16 surrogate`, [{ path, message: 'NUL or unpaired surrogate in a field name' }]);
      stack.push({ value: child, path: Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key.slice(0, 40)}` : key.slice(0, 40), depth: depth + 1 });
    }
  }
}
