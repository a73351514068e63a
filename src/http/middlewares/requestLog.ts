import type { Middleware } from 'koa';
import type { RequestState } from './requestContext.ts';

/**
 * One line per request, at a level chosen by the outcome. Only method, path (no query string:
 * it may carry response_url and other partner data), statuses and timing; never headers.
 */
export function requestLog(): Middleware {
  return async function requestLogMiddleware(ctx, next) {
    const state = ctx.state.request as RequestState;
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - state.startedAt) / 1e6;
      const level = ctx.status >= 500 ? 'error' : ctx.status >= 400 || (state.ocpiStatus ?? 1000) >= 2000 ? 'warn' : 'info';
      if (state.baseLog.isLevelEnabled(level)) state.log[level](
        { method: ctx.method, path: ctx.path, status: ctx.status, ocpiStatus: state.ocpiStatus, platformId: state.platformId, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    }
  };
}
