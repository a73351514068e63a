import type { HubDeps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { findObject } from '../store/objects.ts';
import type { PushRequest } from './acceptPush.ts';
import { senderParty } from './senderParty.ts';
import { pick } from './readLocation.ts';
import { describeToken, urlToken } from './tokenIdentity.ts';

type Json = Record<string, unknown>;

/**
 * GET on the hub's Receiver interface: the owner checks the hub's copy of its object (the
 * Location, one EVSE or one Connector; the token of the uid and `?type=`, RFID when absent). Only
 * the owner may read it this way.
 */
export async function readOwnObject(deps: HubDeps, request: PushRequest): Promise<Json> {
  const roles = request.module === 'tokens' ? ['EMSP', 'OTHER'] : ['CPO'];
  await senderParty(deps, request.caller, { country_code: request.countryCode, party_id: request.partyId }, roles, request.routing);
  const token = request.module === 'tokens' ? urlToken(request.ids[0], request.query) : undefined;
  const stored = await findObject(deps.db, { module: request.module, countryCode: request.countryCode, partyId: request.partyId, objectId: token?.objectId ?? request.ids[0] });
  const what = token ? describeToken(token.uid, token.type) : request.ids.join('/');
  const missing = () => new NotFoundError(`no ${request.module} object ${what} for ${request.countryCode}-${request.partyId}`);
  if (!stored || stored.deleted) throw missing();
  // EVSE uid and Connector id are CiStrings, as the Location id is (findObject).
  const value = pick(stored.data, request.ids[1], request.ids[2]);
  if (!value) throw missing();
  return value;
}
