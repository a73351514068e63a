import type { Config } from '../config.ts';
import type { PartyRef } from '../bus/messages.ts';
import { InvalidParametersError } from '../errors.ts';
import { sameParty } from '../hub/routing.ts';

/**
 * Refuses credentials whose roles name the hub's own country_code/party_id. Partners address the
 * hub (broadcast push, GET all via hub) and recognise its broadcasts by that pair; a platform
 * registered under it could not be told apart from the hub, by the routing or by other parties.
 */
export function refuseHubParty(config: Pick<Config, 'HUB_COUNTRY_CODE' | 'HUB_PARTY_ID'>, roles: readonly PartyRef[]): void {
  const hub = { country_code: config.HUB_COUNTRY_CODE, party_id: config.HUB_PARTY_ID };
  const index = roles.findIndex((role) => sameParty(role, hub));
  if (index < 0) return;
  const path = `roles[${index}]`;
  throw new InvalidParametersError(`${path}: ${hub.country_code}-${hub.party_id} is the hub's own party: register under your own country_code and party_id`, [
    { path, message: 'is the hub’s own country_code/party_id' },
  ]);
}
