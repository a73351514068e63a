import Router from '@koa/router';
import { success } from '../../../../ocpi/envelope.ts';
import type { HubDeps } from '../../../deps.ts';
import { MethodNotAllowedError } from '../../../errors.ts';
import {
  answerRegistrationAgain,
  hubCredentials,
  registerFromPartner,
  unregisterFromPartner,
  updateFromPartner,
  type Caller,
  type CredentialsBody,
} from '../../../partners/credentials.ts';
import { authenticate } from '../../middlewares/authenticate.ts';
import { parseOcpi } from '../../parseBody.ts';
import { OCPI_VERSION } from '../versions/endpoints.ts';

/** The hub's credentials endpoint (SPEC-DIGEST §2.7). PATCH is not part of the module: 405. */
export function credentialsRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: `/ocpi/${OCPI_VERSION}/credentials` });
  router.use(authenticate(deps, { allowInvite: true, allowRegistrationRetry: 'POST' }));

  router.get('/', function getCredentials(ctx) {
    // The token field is the one the caller authenticates with: the hub keeps only its hash.
    ctx.body = success(hubCredentials(deps.config, (ctx.state.caller as Caller).token));
  });

  router.post('/', async function postCredentials(ctx) {
    const caller = ctx.state.caller as Caller;
    // A used token A may only repeat its registration (src/partners/registrationRetry.ts).
    if (caller.kind === 'invite_used') {
      ctx.body = success(await answerRegistrationAgain(deps, caller, ctx.state.body));
      return;
    }
    const body = parseOcpi<CredentialsBody>('credentials', ctx.state.body);
    ctx.body = success(await registerFromPartner(deps, caller, body));
  });

  router.put('/', async function putCredentials(ctx) {
    const body = parseOcpi<CredentialsBody>('credentials', ctx.state.body);
    ctx.body = success(await updateFromPartner(deps, ctx.state.caller as Caller, body));
  });

  router.delete('/', async function deleteCredentials(ctx) {
    await unregisterFromPartner(deps, ctx.state.caller as Caller);
    ctx.body = success();
  });

  router.patch('/', function patchCredentials() {
    throw new MethodNotAllowedError('PATCH is not defined for credentials');
  });
  return router;
}
