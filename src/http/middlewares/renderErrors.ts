import type { Middleware } from 'koa';
import { failure } from '../../../ocpi/envelope.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';
import { HubError } from '../../errors.ts';
import type { RequestState } from './requestContext.ts';

/**
 * The one place errors become responses. Our own errors carry their OCPI and HTTP status;
 * anything else is OCPI 3000 with a generic message (never the internal one), logged with the
 * request id so an operator can find it.
 */
export function renderErrors(): Middleware {
  return async function renderErrorsMiddleware(ctx, next) {
    const state = ctx.state.request as RequestState;
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = failure(OcpiStatus.ClientError, `no such endpoint: ${ctx.method} ${ctx.path}`);
      } else if (ctx.status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
        ctx.status = 405;
        ctx.body = failure(OcpiStatus.ClientError, `method ${ctx.method} not allowed on ${ctx.path}`);
      }
    } catch (err) {
      if (err instanceof HubError) {
        ctx.status = err.httpStatus;
        ctx.body = { ...failure(err.ocpiStatus, err.message), ...(err.data === undefined ? {} : { data: err.data }) };
        if (err.httpStatus === 401) ctx.set('WWW-Authenticate', 'Token');
      } else {
        state.log.error({ err }, 'unexpected error');
        ctx.status = 200;
        ctx.body = failure(OcpiStatus.ServerError, `internal error; quote request id ${state.requestId}`);
      }
    }
    const body = ctx.body as { status_code?: unknown } | undefined;
    if (body && typeof body === 'object' && typeof body.status_code === 'number') state.ocpiStatus = body.status_code;
  };
}
