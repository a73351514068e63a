import Router from '@koa/router';
import type { Context } from 'koa';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { listForReader, readerParties, type ListModule } from '../../../hub/listForReader.ts';
import { hubAnswerHeaders } from '../../../hub/hubAnswerHeaders.ts';
import { forwardList } from '../../../hub/forwardList.ts';
import { addressedElsewhere, hubParty, writeRelay } from '../../../hub/forwardSync.ts';
import { readLocation } from '../../../hub/readLocation.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { pageCursor, pageRequest, setPageHeaders } from '../../pageParams.ts';
import { publicUrl } from '../../publicUrl.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/**
 * Sender interface of the hub for a module: GET all via hub (SPEC-DIGEST §2.3 d), paginated,
 * showing the reader only what was addressed or broadcast to one of its parties (or what it owns).
 * Addressed (OCPI-to-*) to another party, the request is forwarded to that party (forwardList).
 * Locations also answer one object by id (readLocation).
 */
export function listRouter(deps: HubDeps, module: ListModule): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/sender/${module}` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.get('/', async function listObjects(ctx: Context) {
    const max = deps.config.PAGE_LIMIT_MAX;
    const page = pageRequest(ctx, max, { requireDateFrom: module === 'sessions' });
    const state = ctx.state.request as RequestState;
    const caller = ctx.state.caller as Caller;
    const viaHub = !addressedElsewhere(deps, state.routing);
    if (!viaHub) {
      const listUrl = publicUrl(deps.config, ctx.path).toString();
      const answer = await forwardList(deps, { module, caller, routing: state.routing, query: ctx.querystring, listUrl, correlationId: state.correlationId, log: state.log });
      if (answer.kind === 'forwarded') return writeRelay(ctx, answer.relayed);
    }
    // The hub's cursor only now: a forwarded list passes the owner's own `cursor` through.
    const storePage = { ...page, after: pageCursor(ctx, deps.config, 'integer') };
    const { total, items, last } = await listForReader(deps, module, caller, state.routing, storePage);
    setPageHeaders(ctx, deps.config, storePage, { total, returned: items.length, last });
    // GET All via Hub: the hub answers for itself. A list addressed to a party the store answered
    // for (no Sender interface, or the reader's own) carries no headers: the hub is not that party.
    if (viaHub) ctx.set(hubAnswerHeaders(hubParty(deps), await readerParties(deps, caller, state.routing)));
    ctx.body = success(items);
  });
  // Locations only: one Location, EVSE or Connector (SPEC-DIGEST §1.9), forwarded or from the store.
  if (module === 'locations') {
    for (const path of ['/:location_id', '/:location_id/:evse_uid', '/:location_id/:evse_uid/:connector_id']) {
      router.get(path, async function getLocationObject(ctx: Context) {
        const state = ctx.state.request as RequestState;
        const ids = [ctx.params.location_id, ctx.params.evse_uid, ctx.params.connector_id].filter((v): v is string => v !== undefined);
        const answer = await readLocation(deps, { caller: ctx.state.caller as Caller, routing: state.routing, ids, correlationId: state.correlationId, log: state.log });
        if (answer.kind === 'forwarded') return writeRelay(ctx, answer.relayed);
        ctx.body = success(answer.object);
      });
    }
  }
  return router;
}
