import Router from '@koa/router';
import type { HubDeps } from '../../../deps.ts';
import { forwardAuthorize } from '../../../hub/authorize.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** Tokens Sender interface of the hub: real-time authorization, forwarded to the token's eMSP. */
export function tokensAuthorizeRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/sender/tokens` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.post('/:uid/authorize', async function authorizeToken(ctx) {
    const state = ctx.state.request as RequestState;
    const relayed = await forwardAuthorize(deps, { uid: ctx.params.uid, type: ctx.query.type, body: ctx.state.body, caller: ctx.state.caller as Caller, routing: state.routing, correlationId: state.correlationId, log: state.log });
    writeRelay(ctx, relayed);
  });
  return router;
}
