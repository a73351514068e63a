import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { InvalidParametersError } from '../../errors.ts';
import { describeCdr } from '../../hub/describeCdr.ts';
import { setCdrPolicy } from '../../hub/cdrPolicy.ts';

/** Admin API: one CDR with its validation outcome and price breakdown; per-partner CDR policy. */
export function cdrsAdminRouter(deps: HubDeps): Router {
  const router = new Router();
  router.get('/cdrs/:cc/:pid/:id', async function showCdr(ctx) {
    ctx.body = success(await describeCdr(deps, ctx.params.cc, ctx.params.pid, ctx.params.id));
  });
  router.put('/partners/:id/cdr-policy', async function cdrPolicy(ctx) {
    const parsed = z.object({ policy: z.enum(['flag', 'reject']) }).safeParse(ctx.state.body ?? {});
    const id = z.uuid().safeParse(ctx.params.id);
    if (!parsed.success || !id.success) throw new InvalidParametersError('policy must be "flag" or "reject", id a platform uuid');
    await setCdrPolicy(deps, id.data, parsed.data.policy, ctx.state.actor as string);
    ctx.body = success();
  });
  return router;
}
