import type { PartyRef } from '../bus/messages.ts';
import { InvalidParametersError } from '../errors.ts';
import { sameParty } from '../hub/routing.ts';

type CredentialsRoleRef = PartyRef & { role: string };

/**
 * The first role that repeats an earlier one (same role, country_code and party_id; the ids are
 * CiStrings), with the index of the one it repeats. "Every role needs a unique combination of role,
 * party_id and country_code" (SPEC-DIGEST §2.5): storing both would silently keep whichever came
 * last, and the partner would not learn that its list is wrong.
 */
export function findDuplicateRole(roles: readonly CredentialsRoleRef[]): { index: number; firstIndex: number } | undefined {
  for (let index = 1; index < roles.length; index++) {
    const firstIndex = roles.slice(0, index).findIndex((earlier) => earlier.role === roles[index].role && sameParty(earlier, roles[index]));
    if (firstIndex >= 0) return { index, firstIndex };
  }
  return undefined;
}

/** 2001 naming the repeated entry (`roles[i]`), before anything is fetched or stored. */
export function refuseDuplicateRoles(roles: readonly CredentialsRoleRef[]): void {
  const duplicate = findDuplicateRole(roles);
  if (!duplicate) return;
  const role = roles[duplicate.index];
  const path = `roles[${duplicate.index}]`;
  const message = `repeats roles[${duplicate.firstIndex}] (${role.role} ${role.country_code}-${role.party_id}): list each role of a party once`;
  throw new InvalidParametersError(`${path}: ${message}`, [{ path, message }]);
}
