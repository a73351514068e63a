import Router from '@koa/router';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { acceptCdr } from '../../../hub/acceptCdr.ts';
import { readCdr } from '../../../hub/readCdr.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** CDRs Receiver interface: POST a CDR; GET it back at the URL given in the Location header. */
export function cdrsReceiverRouter(deps: HubDeps): Router {
  const prefix = `/ocpi/${OCPI_VERSION}/receiver/cdrs`;
  const router = new Router({ prefix });
  router.use(authenticate(deps, { allowInvite: false }));

  router.post('/', async function postCdr(ctx) {
    const state = ctx.state.request as RequestState;
    const outcome = await acceptCdr(deps, { body: ctx.state.body, caller: ctx.state.caller as Caller, routing: state.routing, requestId: state.requestId, correlationId: state.correlationId });
    const id = [outcome.countryCode, outcome.partyId, outcome.id].map(encodeURIComponent).join('/');
    ctx.set('Location', `${deps.config.HUB_PUBLIC_URL}${prefix}/${id}`);
    ctx.status = outcome.created ? 201 : 200;
    ctx.body = success();
  });

  router.get('/:cc/:pid/:id', async function getCdr(ctx) {
    ctx.body = success(await readCdr(deps, ctx.state.caller as Caller, ctx.params.cc, ctx.params.pid, ctx.params.id));
  });
  return router;
}
