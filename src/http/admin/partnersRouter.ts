import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { invitePartner, registerWithPartner, rotateWithPartner } from '../../partners/credentials.ts';
import { describePlatforms } from '../../partners/describePlatforms.ts';
import { setAuthEncoding } from '../../store/platforms.ts';
import { audit } from '../../store/audit.ts';
import { parseInput } from './parseInput.ts';
import { resumeParty, suspendParty } from '../../partners/suspension.ts';
import { parsePartyRef, PartyRefSchema } from '../../clearing/parties.ts';
import { RoleSchema } from '../../../ocpi/schemas/enums.ts';

/** A party expected to register, PLANNED in HubClientInfo until it does. */
const PlannedPartySchema = z.object({ role: RoleSchema.exclude(['HUB']), country_code: z.string().regex(/^[A-Za-z0-9]{2}$/), party_id: z.string().regex(/^[A-Za-z0-9]{3}$/) });

const parse = parseInput;

/** Admin API for partners; mounted under /admin behind adminAuth. */
export function partnersAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/partners' });

  router.get('/', async function listPartners(ctx) {
    ctx.body = success(await describePlatforms(deps.db));
  });

  router.post('/invitations', async function invite(ctx) {
    const { name, parties } = parse(z.object({ name: z.string().min(1).max(100), parties: z.array(PlannedPartySchema).max(100).optional() }), ctx.state.body);
    const invitation = await invitePartner(deps, name, ctx.state.actor as string, parties);
    ctx.status = 201;
    ctx.body = success({ platform_id: invitation.platformId, token: invitation.token, versions_url: invitation.versionsUrl });
  });

  router.post('/registrations', async function register(ctx) {
    const input = parse(z.object({ versions_url: z.string().min(1), token: z.string().min(1).max(64), name: z.string().max(100).optional() }), ctx.state.body);
    const result = await registerWithPartner(deps, { versionsUrl: input.versions_url, tokenA: input.token, name: input.name, actor: ctx.state.actor as string });
    ctx.status = 201;
    ctx.body = success({ platform_id: result.platformId, roles: result.roles });
  });

  // Suspend or resume a party (every role under CC-PID, or the one named in `role`): HubClientInfo
  // SUSPENDED / back to CONNECTED for the other platforms, no deliveries while suspended.
  const partyTarget = (ctx: { params: Record<string, string>; state: { body?: unknown } }) => ({
    ...parsePartyRef(parse(PartyRefSchema, ctx.params.party)),
    role: parse(z.object({ role: RoleSchema.optional() }), ctx.state.body).role,
  });
  router.post('/parties/:party/suspend', async function suspend(ctx) {
    ctx.body = success(await suspendParty(deps, partyTarget(ctx), ctx.state.actor as string));
  });
  router.post('/parties/:party/resume', async function resume(ctx) {
    ctx.body = success(await resumeParty(deps, partyTarget(ctx), ctx.state.actor as string));
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
