import { NotFoundError } from '../../errors.ts';

/**
 * How many leading segments of a path are router prefixes that carry a router-level middleware
 * (`router.use(authenticate)` under /ocpi/2.2.1/<sender|receiver>/<module>, adminAuth under /admin).
 * No route parameter sits this early.
 */
const GUARDED_PREFIX_SEGMENTS: ReadonlyMap<string, number> = new Map([['ocpi', 4], ['admin', 1]]);

/**
 * @koa/router matches routes without regard to case but a router's prefix middleware with it:
 * `/ADMIN/partners` reached the partners list without adminAuth, `/OCPI/2.2.1/sender/hubclientinfo`
 * the handler without authenticate. Those prefixes are only valid in lower case, so any other
 * spelling is answered as an unknown endpoint before a router sees it.
 */
export function assertCanonicalPrefix(method: string, path: string): void {
  const segments = path.split('/');
  const depth = GUARDED_PREFIX_SEGMENTS.get((segments[1] ?? '').toLowerCase());
  if (depth === undefined) return;
  const prefix = segments.slice(1, depth + 1).join('/');
  if (prefix !== prefix.toLowerCase()) throw new NotFoundError(`no such endpoint: ${method} ${path.slice(0, 200)}`);
}
