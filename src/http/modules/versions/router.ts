import Router from '@koa/router';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { endpointUrl, hubEndpoints, OCPI_VERSION } from './endpoints.ts';

/**
 * GET /ocpi/versions and GET /ocpi/2.2.1: open to token A, so a partner can start the handshake; and
 * to a used token A while it may repeat its registration (src/partners/registrationRetry.ts), since
 * a partner that lost the answer usually starts the handshake over from these two GETs.
 */
export function versionsRouter(deps: HubDeps): Router {
  const router = new Router();
  const auth = authenticate(deps, { allowInvite: true, allowRegistrationRetry: 'GET' });
  const base = deps.config.HUB_PUBLIC_URL;

  router.get('/ocpi/versions', auth, function listVersions(ctx) {
    ctx.body = success([{ version: OCPI_VERSION, url: `${base}/ocpi/${OCPI_VERSION}` }]);
  });

  router.get(`/ocpi/${OCPI_VERSION}`, auth, function versionDetails(ctx) {
    ctx.body = success({
      version: OCPI_VERSION,
      endpoints: hubEndpoints.map((e) => ({ identifier: e.identifier, role: e.role, url: endpointUrl(base, e) })),
    });
  });
  return router;
}
