import type { HubDeps } from '../deps.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import type { PageRequest } from '../../ocpi/pagination.ts';
import { partyKey } from '../bus/subjects.ts';
import { objectPage, type Audience } from '../store/objects.ts';
import type { PartyRef } from '../bus/messages.ts';
import { cdrPage } from '../store/cdrs.ts';
import { InvalidParametersError } from '../errors.ts';
import { broadcastRoles, sameParty } from './routing.ts';

export type ListModule = 'locations' | 'sessions' | 'cdrs' | 'tariffs' | 'tokens';

/**
 * What a reader may list from the hub's store: objects addressed to one of its parties, broadcast
 * ones when broadcasts of the module go to its role, and its own. With OCPI-from-* the reader
 * narrows to that one party (it must be one of its own). With OCPI-to-* naming a party the request
 * is normally forwarded to that party instead (forwardList); it reaches the store only when the
 * party lists no Sender interface for the module or is one of the reader's own, and then narrows
 * to that owner's objects.
 */
export async function listForReader(deps: HubDeps, module: ListModule, caller: Caller, routing: RoutingHeaders, page: PageRequest) {
  const audience = audienceOf(module, await readerParties(deps, caller, routing));
  const owner = addressedOwner(deps, routing);
  if (module === 'cdrs') return cdrPage(deps.db, page, audience, owner);
  return objectPage(deps.db, module, page, audience, owner);
}

/** The reader's parties: all of its platform's, or the one in OCPI-from-* (2001 if not its own). */
export async function readerParties(deps: HubDeps, caller: Caller, routing: RoutingHeaders) {
  const parties = await deps.directory.ofPlatform(caller.platform.id);
  if (!routing.from) return parties;
  const from = { country_code: routing.from.countryCode, party_id: routing.from.partyId };
  const named = parties.filter((p) => sameParty(p, from));
  if (named.length === 0) {
    throw new InvalidParametersError('OCPI-from-* is not one of your parties', [{ path: 'OCPI-from-party-id', message: 'not one of the caller’s parties' }]);
  }
  return named;
}

/** The owner a store read narrows to: the party in OCPI-to-*, unless that is the hub itself. */
export function addressedOwner(deps: HubDeps, routing: RoutingHeaders): PartyRef | undefined {
  const hub = { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID };
  const to = routing.to && { country_code: routing.to.countryCode, party_id: routing.to.partyId };
  return to && !sameParty(to, hub) ? to : undefined;
}

/** The roles that own (push, and implement the Sender interface of) each listed module. */
export const OWNER_ROLES: Record<ListModule, readonly string[]> = {
  locations: ['CPO'],
  sessions: ['CPO'],
  cdrs: ['CPO'],
  tariffs: ['CPO'],
  tokens: ['EMSP', 'OTHER'],
};

/**
 * Whose objects a reader's parties see: those addressed to them, and those they own, which only
 * parties of an owning role can (the hub refuses pushes from any other). Leaving the others out
 * keeps an eMSP's CDR list a plain `receiver = …` that the paging index answers alone, and its
 * sessions the same on ocpi_objects_receiver (objectPage adds no owner part).
 *
 * Broadcast objects only to parties of a role a broadcast of this module goes to (broadcastRoles
 * of its owning roles: a CPO's locations to eMSPs, NSPs, …; an eMSP's tokens to CPOs), so another
 * eMSP never lists an eMSP's broadcast tokens, nor a CPO another CPO's broadcast locations. By role,
 * not by the receivers a push went to: a party that joined later catches up through GET-all.
 */
export function audienceOf(module: ListModule, parties: readonly (PartyRef & { role: string })[]): Audience {
  const broadcastTo = new Set(OWNER_ROLES[module].flatMap(broadcastRoles));
  return {
    receiverKeys: [...new Set(parties.map((p) => partyKey(p.country_code, p.party_id)))],
    owners: parties.filter((p) => OWNER_ROLES[module].includes(p.role)).map((p) => ({ country_code: p.country_code, party_id: p.party_id })),
    seesBroadcast: parties.some((p) => broadcastTo.has(p.role)),
  };
}
