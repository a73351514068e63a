// Real-time authorization (SPEC-DIGEST §3.7): a CPO asks the token's eMSP whether a token may
// charge. Forwarded to the eMSP's Tokens Sender interface; its AuthorizationInfo (or 2004 / 404
// for an unknown token) relayed as it is.
import type { HubDeps } from '../deps.ts';
import type { Logger } from '../logger.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import { TokenTypeSchema } from '../../ocpi/schemas/enums.ts';
import { InvalidParametersError } from '../errors.ts';
import { parseOcpi } from '../http/parseBody.ts';
import { forwardSync, toPartyRef, type Relayed } from './forwardSync.ts';
import { tokenOwner } from './ownership.ts';
import { callingParty } from './senderParty.ts';
import { DEFAULT_TOKEN_TYPE } from './tokenIdentity.ts';

export interface AuthorizeRequest {
  uid: string;
  /** `?type=` as sent (repeated: an array); the eMSP applies the RFID default, so an absent type is passed on absent. */
  type?: string | string[];
  /** Optional LocationReferences. */
  body?: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  correlationId: string;
  log?: Logger;
}

export async function forwardAuthorize(deps: HubDeps, request: AuthorizeRequest): Promise<Relayed> {
  // Taken as absent, a repeated type would ask the eMSP about the RFID token of that uid.
  if (Array.isArray(request.type)) throw new InvalidParametersError('type given more than once', [{ path: 'type', message: 'given more than once' }]);
  if (request.type !== undefined && !TokenTypeSchema.safeParse(request.type).success) {
    throw new InvalidParametersError(`type must be one of ${TokenTypeSchema.options.join(', ')}`, [{ path: 'type', message: 'unknown TokenType' }]);
  }
  if (request.body !== undefined) parseOcpi('location_references', request.body);
  const sender = await callingParty(deps, request.caller, request.routing, ['CPO']);
  const to = toPartyRef(request.routing.to);
  // Open routing: the eMSP of the token of this uid and type (RFID when absent, the spec default).
  const owner = to ? undefined : await tokenOwner(deps.db, { uid: request.uid, type: request.type ?? DEFAULT_TOKEN_TYPE });
  return forwardSync(
    deps,
    { module: 'tokens', receiverInterface: 'SENDER', sender, to, owner },
    {
      method: 'POST',
      event: 'authorize',
      path: [request.uid, 'authorize'],
      query: request.type === undefined ? undefined : new URLSearchParams({ type: request.type }).toString(),
      body: request.body,
      correlationId: request.correlationId,
      log: request.log,
    },
  );
}
