import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AdminUnauthorizedError } from '../../errors.ts';
import type { AdminAuthFailureState } from '../middlewares/rateLimit.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Every admin action needs `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. A
 * refused attempt is reported to `onRefused` (the audit log: who knocked, where, never what they
 * sent); adminAuthFailureLimit bounds how many a client can make.
 */
export function adminAuth(adminToken: string, onRefused: (attempt: { ip: string; method: string; path: string; reason: string }) => Promise<void>): Middleware {
  const expected = digest(adminToken);
  return async function adminAuthMiddleware(ctx, next) {
    const header = ctx.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      (ctx.state as AdminAuthFailureState).countAdminAuthFailure?.();
      await onRefused({ ip: ctx.ip || 'unknown', method: ctx.method, path: ctx.path, reason: header ? (match ? 'wrong admin token' : 'not a Bearer credential') : 'no Authorization header' });
      throw new AdminUnauthorizedError();
    }
    ctx.state.actor = 'admin';
    await next();
  };
}
