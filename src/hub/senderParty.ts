import type { HubDeps } from '../deps.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import type { PartyRef } from '../bus/messages.ts';
import { InvalidParametersError } from '../errors.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { sameParty } from './routing.ts';

/**
 * The caller's party that owns what it pushes: a party may only push objects under its own
 * country_code/party_id, in a role that owns the module, and OCPI-from-* (when sent) must be
 * that same party. Anything else is 2001 and changes nothing.
 */
export async function senderParty(deps: HubDeps, caller: Caller, owner: PartyRef, roles: string[], routing: RoutingHeaders): Promise<DirectoryParty> {
  const own = await deps.directory.ofPlatform(caller.platform.id);
  const party = own.find((p) => sameParty(p, owner) && roles.includes(p.role));
  if (!party) {
    throw new InvalidParametersError(`${owner.country_code}-${owner.party_id} is not one of your ${roles.join('/')} parties: push only under your own country_code and party_id`, [
      { path: 'country_code', message: 'not one of the caller’s parties' },
    ]);
  }
  if (routing.from && !sameParty({ country_code: routing.from.countryCode, party_id: routing.from.partyId }, owner)) {
    throw new InvalidParametersError(`OCPI-from-* (${routing.from.countryCode}-${routing.from.partyId}) does not match the owner ${owner.country_code}-${owner.party_id}`, [
      { path: 'OCPI-from-party-id', message: 'must be the owner of the pushed object' },
    ]);
  }
  return party;
}

/** The caller's party named in OCPI-from-*, or its only party of the given roles when absent. */
export async function callingParty(deps: HubDeps, caller: Caller, routing: RoutingHeaders, roles: string[]): Promise<DirectoryParty> {
  const own = (await deps.directory.ofPlatform(caller.platform.id)).filter((p) => roles.includes(p.role));
  if (routing.from) {
    const party = own.find((p) => sameParty(p, { country_code: routing.from!.countryCode, party_id: routing.from!.partyId }));
    if (!party) {
      throw new InvalidParametersError(`OCPI-from-* (${routing.from.countryCode}-${routing.from.partyId}) is not one of your ${roles.join('/')} parties`, [
        { path: 'OCPI-from-party-id', message: 'not one of the caller’s parties' },
      ]);
    }
    return party;
  }
  if (own.length === 1) return own[0];
  throw new InvalidParametersError(`send OCPI-from-country-code and OCPI-from-party-id: your platform has ${own.length} ${roles.join('/')} parties`, [
    { path: 'OCPI-from-party-id', message: 'required' },
  ]);
}
