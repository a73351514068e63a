// createApp(deps) builds the Koa app without listening, for src/main.ts and for tests.
import Koa from 'koa';
import Router from '@koa/router';
import type { HubDeps } from '../deps.ts';
import { requestContext } from './middlewares/requestContext.ts';
import { requestLog } from './middlewares/requestLog.ts';
import { renderErrors } from './middlewares/renderErrors.ts';
import { jsonBody } from './middlewares/jsonBody.ts';
import { inputGuard } from './middlewares/inputGuard.ts';
import { adminAuthFailureLimit } from './middlewares/rateLimit.ts';
import { adminAuth } from './admin/adminAuth.ts';
import { audit } from '../store/audit.ts';
import { partnersAdminRouter } from './admin/partnersRouter.ts';
import { deliveriesAdminRouter } from './admin/deliveriesRouter.ts';
import { statementsAdminRouter } from './admin/statementsRouter.ts';
import { portal } from '../portal/index.ts';
import { cdrsAdminRouter } from './admin/cdrsRouter.ts';
import { clearingAdminRouter } from './admin/clearingRouter.ts';
import { routingAdminRouter } from './admin/routingRouter.ts';
import { versionsRouter } from './modules/versions/router.ts';
import { credentialsRouter } from './modules/credentials/router.ts';
import { hubClientInfoRouter } from './modules/hubclientinfo/router.ts';
import { pushRouter } from './modules/receiver/pushRouter.ts';
import { cdrsReceiverRouter } from './modules/receiver/cdrsRouter.ts';
import { listRouter } from './modules/sender/listRouter.ts';
import { tokensAuthorizeRouter } from './modules/sender/tokensAuthorizeRouter.ts';
import { commandsReceiverRouter } from './modules/receiver/commandsRouter.ts';
import { chargingProfilesReceiverRouter } from './modules/receiver/chargingProfilesRouter.ts';
import { chargingProfilesSenderRouter } from './modules/sender/chargingProfilesRouter.ts';
import { chargingPreferencesRouter } from './modules/sender/chargingPreferencesRouter.ts';
import { callbacksRouter } from './modules/callbacks/router.ts';

export function createApp(deps: HubDeps): Koa {
  // Behind TRUSTED_PROXY_HOPS proxies ctx.ip is the client's; see config.ts for what else is trusted.
  const hops = deps.config.TRUSTED_PROXY_HOPS;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  app.use(requestContext(deps.log));
  app.use(requestLog());
  app.use(renderErrors());
  app.use(portal(deps)); // /portal: server-rendered pages with their own form parsing, before the JSON body parser
  app.use(jsonBody(deps.config.BODY_LIMIT_BYTES));
  app.use(inputGuard());

  const routers = [
    versionsRouter(deps),
    credentialsRouter(deps),
    hubClientInfoRouter(deps),
    ...(['locations', 'sessions', 'tariffs', 'tokens'] as const).map((m) => pushRouter(deps, m)),
    cdrsReceiverRouter(deps),
    ...(['locations', 'sessions', 'cdrs', 'tariffs', 'tokens'] as const).map((m) => listRouter(deps, m)),
    // Synchronous routing: forwarded over HTTP, the receiver's answer relayed.
    tokensAuthorizeRouter(deps),
    commandsReceiverRouter(deps),
    chargingProfilesReceiverRouter(deps),
    chargingProfilesSenderRouter(deps),
    chargingPreferencesRouter(deps),
    callbacksRouter(deps),
  ];
  for (const router of routers) {
    app.use(router.routes()).use(router.allowedMethods());
  }

  const admin = new Router({ prefix: '/admin' });
  admin.use(adminAuthFailureLimit(deps.config));
  admin.use(adminAuth(deps.config.ADMIN_TOKEN, (attempt) => audit(deps.db, { actor: 'anonymous', action: 'admin.auth_refused', subject: attempt.path, details: attempt })));
  const adminRouters = [partnersAdminRouter(deps), deliveriesAdminRouter(deps), cdrsAdminRouter(deps), clearingAdminRouter(deps), statementsAdminRouter(deps), routingAdminRouter(deps)];
  for (const child of adminRouters) admin.use(child.routes(), child.allowedMethods());
  app.use(admin.routes()).use(admin.allowedMethods());

  // Errors are rendered by renderErrors; this only keeps Koa from printing them a second time.
  app.on('error', () => {});
  return app;
}
