import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { InvalidParametersError } from '../../errors.ts';
import { deliveryStatus } from '../../hub/delivery/status.ts';
import { openDeadLetters } from '../../hub/delivery/deadLetters.ts';
import { replayDeadLetters } from '../../hub/delivery/replay.ts';

const ReplaySchema = z.object({ receiver: z.string().regex(/^[A-Z0-9_]+-[A-Z0-9_]+$/), since: z.iso.datetime().optional() });

/** Admin API for delivery health: backlog per receiver, dead letters, replay. */
export function deliveriesAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/deliveries' });
  router.get('/', async function status(ctx) {
    ctx.body = success(await deliveryStatus(deps));
  });
  router.get('/dead-letters', async function deadLetters(ctx) {
    const receiver = typeof ctx.query.receiver === 'string' ? ctx.query.receiver : undefined;
    ctx.body = success(await openDeadLetters(deps.db, receiver));
  });
  router.post('/replay', async function replay(ctx) {
    const parsed = ReplaySchema.safeParse(ctx.state.body ?? {});
    if (!parsed.success) throw new InvalidParametersError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const report = await replayDeadLetters(deps, { receiver: parsed.data.receiver, since: parsed.data.since ? new Date(parsed.data.since) : undefined, actor: ctx.state.actor as string });
    ctx.body = success({ replayed: report.replayed });
  });
  return router;
}
