import Router from '@koa/router';
import type { Context } from 'koa';
import type { HubDeps } from '../../../deps.ts';
import { forwardChargingProfile, type ChargingProfileRequest } from '../../../hub/chargingProfiles/forwardChargingProfile.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** ChargingProfiles Receiver interface of the hub: GET / PUT / DELETE a session's profile at its CPO. */
export function chargingProfilesReceiverRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/receiver/chargingprofiles` });
  router.use(authenticate(deps, { allowInvite: false }));
  const forward = (method: ChargingProfileRequest['method']) =>
    async function chargingProfile(ctx: Context) {
      const state = ctx.state.request as RequestState;
      const relayed = await forwardChargingProfile(deps, {
        method,
        sessionId: ctx.params.sessionId,
        query: ctx.query,
        body: ctx.state.body,
        caller: ctx.state.caller as Caller,
        routing: state.routing,
        correlationId: state.correlationId,
        log: state.log,
      });
      writeRelay(ctx, relayed);
    };
  router.get('/:sessionId', forward('GET'));
  router.put('/:sessionId', forward('PUT'));
  router.delete('/:sessionId', forward('DELETE'));
  return router;
}
