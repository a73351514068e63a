import Router from '@koa/router';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { clientInfoPage } from '../../../store/clientInfo.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { pageCursor, pageRequest, setPageHeaders } from '../../pageParams.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** HubClientInfo Sender interface: the connection status of every party (configuration module, no routing headers). */
export function hubClientInfoRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/sender/hubclientinfo` });
  router.use(authenticate(deps, { allowInvite: false }));
  router.get('/', async function listClientInfo(ctx) {
    const max = deps.config.PAGE_LIMIT_MAX;
    const page = { ...pageRequest(ctx, max), after: pageCursor(ctx, deps.config, 'uuid') };
    const { total, items, last } = await clientInfoPage(deps.db, page);
    setPageHeaders(ctx, deps.config, page, { total, returned: items.length, last });
    ctx.body = success(items);
  });
  return router;
}
