import type { Middleware } from 'koa';
import { tokenCandidates } from '../../../ocpi/authorization.ts';
import { UnauthorizedError } from '../../errors.ts';
import type { HubDeps } from '../../deps.ts';
import { findPlatformByToken, settleTokens } from '../../store/platforms.ts';
import { hashPresentedToken } from '../../partners/tokenCrypto.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RequestState } from './requestContext.ts';
import { cachedCaller, rememberCaller } from '../../partners/callerCache.ts';
import { partnerRateLimit } from './rateLimit.ts';
import { noteSeen } from '../../hub/partyLiveness.ts';
import { assertRoutingHeaders } from './routingHeaderCheck.ts';

/**
 * OCPI token authentication. Token A (invite) is accepted only where `allowInvite` is set
 * (versions and credentials); anywhere else it is a 401, as the spec requires. A token A that has
 * registered its platform is, for a while, good for one thing only: repeating that registration
 * (src/partners/registrationRetry.ts), with the method `allowRegistrationRetry` names there (the
 * POST on credentials; the GETs of versions and version details that most partners send before
 * it); anywhere else it is unknown. Each platform is then held to its rate limit (429 with Retry-After,
 * see rateLimit.ts).
 */
export function authenticate(deps: HubDeps, options: { allowInvite: boolean; allowRegistrationRetry?: 'GET' | 'POST' }): Middleware {
  return async function authenticateMiddleware(ctx, next) {
    const caller = await identify(deps, ctx.get('authorization'));
    if (!caller) throw new UnauthorizedError();
    if (caller.kind === 'invite_used' && ctx.method !== options.allowRegistrationRetry) throw new UnauthorizedError();
    partnerRateLimit(ctx, deps.config, caller.platform.id);
    if (caller.kind === 'invite' && !options.allowInvite) {
      throw new UnauthorizedError('credentials token A is only valid on versions and credentials');
    }
    assertRoutingHeaders(ctx);
    if (caller.kind === 'pending' || (caller.kind === 'current' && caller.unsettled)) {
      await settleTokens(deps.db, caller.platform.id, caller);
    }
    // A message from the platform: the still-alive check need not ask it (SPEC-DIGEST §2.6).
    if (caller.platform.state === 'REGISTERED') noteSeen(deps, caller.platform.id);
    (ctx.state.request as RequestState).platformId = caller.platform.id;
    ctx.state.caller = caller;
    await next();
  };
}

async function identify(deps: HubDeps, header: string | undefined): Promise<(Caller & { unsettled: boolean }) | undefined> {
  for (const token of tokenCandidates(header)) {
    const tokenHash = hashPresentedToken(deps.keys, token);
    const cached = cachedCaller(tokenHash);
    const match = cached ? cached.match : await findPlatformByToken(deps.db, tokenHash);
    if (!cached) rememberCaller(tokenHash, match);
    if (match && match.platform.state !== 'UNREGISTERED') return { ...match, token };
  }
  return undefined;
}
