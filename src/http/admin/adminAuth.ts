import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AdminUnauthorizedError } from '../../errors.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Every admin action needs `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function adminAuth(adminToken: string): Middleware {
  const expected = digest(adminToken);
  return async function adminAuthMiddleware(ctx, next) {
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization') ?? '');
    if (!match || !timingSafeEqual(digest(match[1]), expected)) throw new AdminUnauthorizedError();
    ctx.state.actor = 'admin';
    await next();
  };
}
