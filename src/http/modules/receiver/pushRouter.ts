import Router from '@koa/router';
import type { Context } from 'koa';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { acceptPush, type PushModule, type PushRequest } from '../../../hub/acceptPush.ts';
import { readOwnObject } from '../../../hub/readOwnObject.ts';
import { addressedElsewhere, forwardOwnerGet, writeRelay } from '../../../hub/forwardSync.ts';
import type { Caller } from '../../../partners/credentials.ts';
import type { RequestState } from '../../middlewares/requestContext.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** Which methods each client-owned module accepts on the hub's Receiver interface (SPEC-DIGEST §1.9). */
const methods: Record<PushModule, { patch: boolean; delete: boolean; depth: number }> = {
  locations: { patch: true, delete: false, depth: 3 },
  sessions: { patch: true, delete: false, depth: 1 },
  tariffs: { patch: false, delete: true, depth: 1 },
  tokens: { patch: true, delete: false, depth: 1 },
};

/** Receiver interface of a client-owned module: PUT / PATCH / DELETE pushes and the owner's GET. */
export function pushRouter(deps: HubDeps, module: PushModule): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/receiver/${module}` });
  router.use(authenticate(deps, { allowInvite: false }));
  const spec = methods[module];
  const paths = ['/:cc/:pid/:id1', '/:cc/:pid/:id1/:id2', '/:cc/:pid/:id1/:id2/:id3'].slice(0, spec.depth);

  const request = (ctx: Context, event: PushRequest['event']): PushRequest => {
    const state = ctx.state.request as RequestState;
    const query = ctx.querystring;
    return {
      module,
      event,
      countryCode: ctx.params.cc,
      partyId: ctx.params.pid,
      ids: [ctx.params.id1, ctx.params.id2, ctx.params.id3].filter((v): v is string => v !== undefined),
      query: query || undefined,
      body: ctx.state.body,
      caller: ctx.state.caller as Caller,
      routing: state.routing,
      requestId: state.requestId,
      correlationId: state.correlationId,
    };
  };

  const push = (event: PushRequest['event']) =>
    async function pushObject(ctx: Context) {
      const outcome = await acceptPush(deps, request(ctx, event));
      ctx.status = outcome.created ? 201 : 200;
      ctx.body = success();
    };

  for (const path of paths) {
    router.get(path, async function getOwnObject(ctx) {
      const r = request(ctx, 'put');
      // Addressed to another party: the owner checks its object at that receiver (forwarded).
      if (addressedElsewhere(deps, r.routing)) return writeRelay(ctx, await forwardOwnerGet(deps, r, (ctx.state.request as RequestState).log));
      ctx.body = success(await readOwnObject(deps, r));
    });
    router.put(path, push('put'));
    if (spec.patch) router.patch(path, push('patch'));
    if (spec.delete) router.delete(path, push('delete'));
  }
  return router;
}
