// How the clearing house names a party: "CC-PID", upper-cased (OCPI CiString compares case-insensitively).
import { z } from 'zod';
export function partyRef(countryCode: string, partyId: string): string {
  return `${countryCode.toUpperCase()}-${partyId.toUpperCase()}`;
}

export function parsePartyRef(ref: string): { country_code: string; party_id: string } {
  const match = /^([A-Za-z0-9]{2})[-*]([A-Za-z0-9]{3})$/.exec(ref.trim());
  if (!match) throw new RangeError(`not a party: "${ref}" (expected CC-PID, e.g. NL-ABC)`);
  return { country_code: match[1].toUpperCase(), party_id: match[2].toUpperCase() };
}

/** A party reference in admin and CLI input. */
export const PartyRefSchema = z.string().refine((v) => {
  try {
    parsePartyRef(v);
    return true;
  } catch {
    return false;
  }
}, 'must be CC-PID, e.g. NL-ABC');
