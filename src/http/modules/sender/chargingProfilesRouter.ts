import Router from '@koa/router';
import type { HubDeps } from '../../../deps.ts';
import { forwardActiveProfile } from '../../../hub/chargingProfiles/forwardActiveProfile.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** ChargingProfiles Sender interface of the hub: a CPO's ActiveChargingProfile, forwarded to the addressed SCSP/eMSP. */
export function chargingProfilesSenderRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/sender/chargingprofiles` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.put('/:sessionId', async function putActiveProfile(ctx) {
    const state = ctx.state.request as RequestState;
    const relayed = await forwardActiveProfile(deps, { sessionId: ctx.params.sessionId, body: ctx.state.body, caller: ctx.state.caller as Caller, routing: state.routing, correlationId: state.correlationId, log: state.log });
    writeRelay(ctx, relayed);
  });
  return router;
}
