// @koa/router matches routes without regard to case, but a router's own middleware (adminAuth under
// /admin, authenticate under each OCPI module) with it: /ADMIN/partners reached the handler with no
// credential at all. Every admin route, and the OCPI modules, in other spellings, must refuse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from '../support/hub.ts';
import { partnersAdminRouter } from '../../src/http/admin/partnersRouter.ts';
import { deliveriesAdminRouter } from '../../src/http/admin/deliveriesRouter.ts';
import { cdrsAdminRouter } from '../../src/http/admin/cdrsRouter.ts';
import { clearingAdminRouter } from '../../src/http/admin/clearingRouter.ts';
import { statementsAdminRouter } from '../../src/http/admin/statementsRouter.ts';
import { routingAdminRouter } from '../../src/http/admin/routingRouter.ts';

const UUID = '00000000-0000-4000-8000-000000000000';

describe('routes spelt in other cases', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ADMIN_AUTH_FAILURES_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const platforms = async () => Number((await hub.deps.db('platforms').count<{ count: string }[]>('* as count'))[0].count);

  it('never runs an admin route without the admin credential', async () => {
    const routers = [partnersAdminRouter, deliveriesAdminRouter, cdrsAdminRouter, clearingAdminRouter, statementsAdminRouter, routingAdminRouter].map((r) => r(hub.deps));
    const before = await platforms();
    const ran: string[] = [];
    for (const router of routers) {
      for (const layer of router.stack) {
        for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
          const path = String(layer.path).replace(/:\w+/g, UUID);
          for (const prefix of ['/ADMIN', '/Admin', '/aDmin']) {
            const r = await call(`${hub.url}${prefix}${path}`, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: { name: 'QH case' } }) } as never);
            if (r.status !== 404) ran.push(`${method} ${prefix}${path} → ${r.status} ${JSON.stringify(r.body).slice(0, 80)}`);
          }
        }
      }
    }
    expect(ran).toEqual([]);
    expect(await platforms()).toBe(before);
  });

  it('hands out no invitation (token A) to a caller without credentials', async () => {
    const r = await call(`${hub.url}/ADMIN/partners/invitations`, { method: 'POST', body: { name: 'QH intruder' } });
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toMatch(/"token"/);
  });

  it.each([
    ['GET', '/OCPI/2.2.1/sender/hubclientinfo'],
    ['GET', '/ocpi/2.2.1/SENDER/hubclientinfo'],
    ['GET', '/ocpi/2.2.1/sender/Locations'],
    ['GET', '/ocpi/2.2.1/Credentials'],
    ['POST', '/ocpi/2.2.1/Receiver/commands/START_SESSION'],
  ])('answers %s %s as an unknown endpoint, without authentication', async (method, path) => {
    const r = await call(`${hub.url}${path}`, { method, ...(method === 'POST' ? { body: {} } : {}) } as never);
    expect(r.status).toBe(404);
    expect((r.body as { status_code: number }).status_code).toBe(2000);
  });

  it('still serves the lower-case spelling, with ids in any case', async () => {
    const admin = await call(`${hub.url}/admin/partners`, { headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(admin.status).toBe(200);
    const cdr = await call(`${hub.url}/admin/cdrs/NL/QHA/Some-Mixed-Case-Id`, { headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(cdr.status).not.toBe(401);
    expect(JSON.stringify(cdr.body)).not.toMatch(/no such endpoint/);
    const versions = await call(`${hub.url}/ocpi/versions`);
    expect(versions.status).toBe(401);
  });
});
