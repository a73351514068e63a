import type { Context } from 'koa';
import { InvalidParametersError } from '../../errors.ts';
import type { RequestState } from './requestContext.ts';

// Configuration modules do not use routing headers (SPEC-DIGEST §2.2): whatever is sent there is ignored.
const CONFIGURATION_PATH = /^\/ocpi\/(versions|2\.2\.1\/?$|2\.2\.1\/(credentials|sender\/hubclientinfo)(\/|$))/;

/**
 * Refuses, on the OCPI functional modules, routing headers requestContext could not read as an
 * address (one of a pair, or unreadable): OCPI 2001 naming the header, before anything is routed.
 * Called once the caller is authenticated, so an unknown caller still gets its 401 first.
 */
export function assertRoutingHeaders(ctx: Context): void {
  const problems = (ctx.state.request as RequestState).routingProblems;
  if (problems && !CONFIGURATION_PATH.test(ctx.path)) {
    throw new InvalidParametersError(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }
}
