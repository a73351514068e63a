import type { HubDeps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import type { Caller } from '../partners/credentials.ts';
import { findCdr } from '../store/cdrs.ts';
import { partyKey } from '../bus/subjects.ts';

/** A CDR is readable by the CPO that sent it and the eMSP it was routed to; to others it does not exist. */
export async function readCdr(deps: HubDeps, caller: Caller, countryCode: string, partyId: string, id: string) {
  const cdr = await findCdr(deps.db, countryCode, partyId, id);
  const mine = (await deps.directory.ofPlatform(caller.platform.id)).map((p) => partyKey(p.country_code, p.party_id));
  if (!cdr || !(mine.includes(partyKey(cdr.country_code, cdr.party_id)) || (cdr.receiver !== null && mine.includes(cdr.receiver)))) {
    throw new NotFoundError(`no CDR ${countryCode}-${partyId}-${id}`);
  }
  return cdr.data;
}
