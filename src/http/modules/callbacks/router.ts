import Router from '@koa/router';
import type { Context } from 'koa';
import type { HubDeps } from '../../../deps.ts';
import { relayCallback, type CallbackModule } from '../../../hub/commands/callbacks.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/**
 * The hub's response_url for asynchronous results (CommandResult, charging profile results): the
 * responder POSTs here and the result is relayed to the requester's own response_url.
 */
export function callbacksRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/callbacks` });
  router.use(authenticate(deps, { allowInvite: false }));
  const relay = (module: CallbackModule) =>
    async function postResult(ctx: Context) {
      const state = ctx.state.request as RequestState;
      writeRelay(ctx, await relayCallback(deps, { module, id: ctx.params.id, body: ctx.state.body, caller: ctx.state.caller as Caller, log: state.log }));
    };
  router.post('/commands/:id', relay('commands'));
  router.post('/chargingprofiles/:id', relay('chargingprofiles'));
  return router;
}
