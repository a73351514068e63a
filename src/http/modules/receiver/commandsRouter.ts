import Router from '@koa/router';
import type { HubDeps } from '../../../deps.ts';
import { forwardCommand } from '../../../hub/commands/forwardCommand.ts';
import { writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** Commands Receiver interface of the hub: an eMSP's command, forwarded to the CPO. */
export function commandsReceiverRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/receiver/commands` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.post('/:command', async function postCommand(ctx) {
    const state = ctx.state.request as RequestState;
    const relayed = await forwardCommand(deps, { command: ctx.params.command, body: ctx.state.body, caller: ctx.state.caller as Caller, routing: state.routing, correlationId: state.correlationId, log: state.log });
    writeRelay(ctx, relayed);
  });
  return router;
}
