import Router from '@koa/router';
import type { HubDeps } from '../../../deps.ts';
import { forwardChargingPreferences } from '../../../hub/chargingProfiles/forwardChargingPreferences.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** Sessions Sender interface of the hub, charging preferences: forwarded to the session's CPO. */
export function chargingPreferencesRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/sender/sessions` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.put('/:sessionId/charging_preferences', async function putChargingPreferences(ctx) {
    const state = ctx.state.request as RequestState;
    const relayed = await forwardChargingPreferences(deps, { sessionId: ctx.params.sessionId, body: ctx.state.body, caller: ctx.state.caller as Caller, routing: state.routing, correlationId: state.correlationId, log: state.log });
    writeRelay(ctx, relayed);
  });
  return router;
}
