import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { invitePartner, registerWithPartner, rotateWithPartner } from '../../partners/credentials.ts';
import { describePlatforms } from '../../partners/describePlatforms.ts';
import { audit, setAuthEncoding } from '../../store/platforms.ts';
import { parseInput } from './parseInput.ts';

const parse = parseInput;

/** Admin API for partners; mounted under /admin behind adminAuth. */
export function partnersAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/partners' });

  router.get('/', async function listPartners(ctx) {
    ctx.body = success(await describePlatforms(deps.db));
  });

  router.post('/invitations', async function invite(ctx) {
    const { name } = parse(z.object({ name: z.string().min(1).max(100) }), ctx.state.body);
    const invitation = await invitePartner(deps, name, ctx.state.actor as string);
    ctx.status = 201;
    ctx.body = success({ platform_id: invitation.platformId, token: invitation.token, versions_url: invitation.versionsUrl });
  });

  router.post('/registrations', async function register(ctx) {
    const input = parse(z.object({ versions_url: z.string().min(1), token: z.string().min(1).max(64), name: z.string().max(100).optional() }), ctx.state.body);
    const result = await registerWithPartner(deps, { versionsUrl: input.versions_url, tokenA: input.token, name: input.name, actor: ctx.state.actor as string });
    ctx.status = 201;
    ctx.body = success({ platform_id: result.platformId, roles: result.roles });
  });

  router.post('/:id/rotate', async function rotate(ctx) {
    await rotateWithPartner(deps, parse(z.uuid(), ctx.params.id), ctx.state.actor as string);
    ctx.body = success();
  });

  router.put('/:id/auth-encoding', async function authEncoding(ctx) {
    const id = parse(z.uuid(), ctx.params.id);
    const { encoding } = parse(z.object({ encoding: z.enum(['base64', 'plain']) }), ctx.state.body);
    await setAuthEncoding(deps.db, id, encoding);
    await audit(deps.db, { actor: ctx.state.actor as string, action: 'partner.auth_encoding', subject: id, details: { encoding } });
    ctx.body = success();
  });
  return router;
}
