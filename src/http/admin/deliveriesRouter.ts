import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { InvalidParametersError } from '../../errors.ts';
import { deliveryOverview } from '../../hub/delivery/status.ts';
import { openDeadLetters } from '../../hub/delivery/deadLetters.ts';
import { replayDeadLetters } from '../../hub/delivery/replay.ts';
import { listResultRelays } from '../../hub/commands/resultRelays.ts';
import { parseInput } from './parseInput.ts';

const PartyKey = z.string().regex(/^[A-Z0-9_]+-[A-Z0-9_]+$/);
const ReplaySchema = z.object({ receiver: PartyKey, since: z.iso.datetime().optional() });
const ResultsQuery = z.object({ receiver: PartyKey.optional(), given_up: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Admin API for delivery health: backlog per receiver, dead letters, replay, results relayed to requesters. */
export function deliveriesAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/deliveries' });
  router.get('/', async function status(ctx) {
    ctx.body = success(await deliveryOverview(deps));
  });
  router.get('/dead-letters', async function deadLetters(ctx) {
    const receiver = typeof ctx.query.receiver === 'string' ? ctx.query.receiver : undefined;
    ctx.body = success(await openDeadLetters(deps.db, receiver));
  });
  router.get('/results', async function results(ctx) {
    const query = parseInput(ResultsQuery, ctx.query);
    ctx.body = success(await listResultRelays(deps.db, { requester: query.receiver, givenUp: query.given_up === 'true', limit: query.limit }));
  });
  router.post('/replay', async function replay(ctx) {
    const parsed = ReplaySchema.safeParse(ctx.state.body ?? {});
    if (!parsed.success) throw new InvalidParametersError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const report = await replayDeadLetters(deps, { receiver: parsed.data.receiver, since: parsed.data.since ? new Date(parsed.data.since) : undefined, actor: ctx.state.actor as string });
    ctx.body = success({ replayed: report.replayed });
  });
  return router;
}
