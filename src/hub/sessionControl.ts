// Who may act on a session through the hub (charging profiles, charging preferences, STOP_SESSION):
// only a party the session belongs to. The hub knows the sessions it routed: a session belongs to the
// parties it was addressed to and to the eMSP named in its cdr_token.
//
// A session the hub does not know (the CPO never pushed it through the hub, or not yet: a session
// PUT can trail the START_SESSION result) is forwarded: the CPO is the authority on its sessions and
// answers with its own UNKNOWN_SESSION / REJECTED. Refusing it would break charging for every CPO
// that does not push sessions through the hub.
import type { PartyRef } from '../bus/messages.ts';
import { partyKey } from '../bus/subjects.ts';
import { InvalidParametersError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { findObject } from '../store/objects.ts';
import { sameParty } from './routing.ts';

/** True when the stored session was addressed to the party or its cdr_token is the party's (pure). */
export function sessionBelongsTo(session: { receivers: readonly string[]; data: Record<string, unknown> }, party: PartyRef): boolean {
  if (session.receivers.includes(partyKey(party.country_code, party.party_id))) return true;
  const token = session.data.cdr_token as { country_code?: unknown; party_id?: unknown } | undefined;
  return typeof token?.country_code === 'string' && typeof token.party_id === 'string' && sameParty({ country_code: token.country_code, party_id: token.party_id }, party);
}

/**
 * Refuses with 2001 naming `session_id` a request on a session of `cpo` that the hub routed to
 * somebody else; nothing is forwarded or recorded then. Unknown sessions pass (see above).
 */
export async function checkSessionControl(db: Db, request: { sessionId: string; cpo: PartyRef; requester: PartyRef }): Promise<void> {
  const { sessionId, cpo, requester } = request;
  const session = await findObject(db, { module: 'sessions', countryCode: cpo.country_code, partyId: cpo.party_id, objectId: sessionId });
  if (!session || session.deleted || sessionBelongsTo(session, requester)) return;
  throw new InvalidParametersError(
    `session ${sessionId} of ${cpo.country_code}-${cpo.party_id} does not belong to ${requester.country_code}-${requester.party_id}: only the eMSP of its cdr_token, or a party it was sent to, may control it`,
    [{ path: 'session_id', message: 'not a session of the caller' }],
  );
}
