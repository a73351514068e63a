import { OutgoingHeader } from '../../ocpi/headers.ts';
import type { PartyRef } from '../bus/messages.ts';

/**
 * Routing headers of a list the hub answers itself (GET All via Hub, SPEC-DIGEST §2.2: response
 * hub → requester has TO = the requesting party, FROM = the hub). `readers` are the parties the
 * request spoke for: the one in OCPI-from-*, or all of the caller's; with several and no
 * OCPI-from-* the requesting party is unknown and TO is left out rather than guessed.
 */
export function hubAnswerHeaders(hub: PartyRef, readers: readonly PartyRef[]): Record<string, string> {
  const headers: Record<string, string> = {
    [OutgoingHeader.FromCountryCode]: hub.country_code,
    [OutgoingHeader.FromPartyId]: hub.party_id,
  };
  if (readers.length === 1) {
    headers[OutgoingHeader.ToCountryCode] = readers[0].country_code;
    headers[OutgoingHeader.ToPartyId] = readers[0].party_id;
  }
  return headers;
}
