// A partner whose registration answer (token C) was lost repeats its POST with token A. The hub
// answers that repeat when it carries the same token B, versions URL and roles as the registration
// it made, for REGISTRATION_RETRY_WINDOW_S after registering and only until the partner first uses
// a token C (then the answer evidently arrived). Under the same conditions the used token A also
// gets GET versions and GET version details, with which most partners start the handshake over
// (versions router). Anything else with a used token A is refused as an unknown token (401), as
// before. The use case is answerRegistrationAgain (credentials.ts).
import type { PartyRole } from '../store/platforms.ts';

/**
 * What a registration is, for telling a repeat from another registration: token B, versions URL and
 * the role identities (role, country_code, party_id; the ids are CiStrings), in any order.
 * business_details are left out: a name spelled differently does not make another registration,
 * and the repeat does not store them (a PUT with token C does).
 */
export function registrationFingerprint(body: { token: string; url: string; roles: readonly Pick<PartyRole, 'role' | 'country_code' | 'party_id'>[] }): string {
  const roles = body.roles.map((r) => `${r.role}|${r.country_code.toUpperCase()}|${r.party_id.toUpperCase()}`).sort();
  return JSON.stringify([body.token, body.url, roles]);
}
