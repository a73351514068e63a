import Router from '@koa/router';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { addPrefix, listPrefixes, removePrefix } from '../../hub/tokenPrefixes.ts';

/** Admin API for open routing's token prefix map; mounted under /admin behind adminAuth. */
export function routingAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/routing/prefixes' });

  router.get('/', async function listTokenPrefixes(ctx) {
    const party = typeof ctx.query.party === 'string' ? ctx.query.party : undefined;
    ctx.body = success(await listPrefixes(deps.db, { party }));
  });

  router.post('/', async function addTokenPrefix(ctx) {
    const { prefix, created } = await addPrefix(deps.db, ctx.state.body, ctx.state.actor as string);
    ctx.status = created ? 201 : 200;
    ctx.body = success(prefix);
  });

  router.delete('/:prefix', async function removeTokenPrefix(ctx) {
    ctx.body = success(await removePrefix(deps.db, ctx.params.prefix, ctx.state.actor as string));
  });
  return router;
}
