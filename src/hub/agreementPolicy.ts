// Hub policy for CDRs that no roaming agreement covers. 'hold' (the default) routes them and the
// booker keeps them out of clearing until an agreement covers them; 'refuse' turns them away before
// anything is stored or routed, so a CPO learns at once that it has no contract with that eMSP.
import type { HubDeps } from '../deps.ts';
import type { PartyRef } from '../bus/messages.ts';
import { HubError } from '../errors.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';
import { agreementsForPairs, coveringAgreement, type Agreement } from '../clearing/agreements.ts';
import { partyRef } from '../clearing/parties.ts';
import { TtlCache } from '../ttlCache.ts';

// Agreements change rarely next to the CDRs they cover; other processes see a new one within the TTL.
const agreementsByPair = new TtlCache<string, Agreement[]>(2000);

export async function refuseWithoutAgreement(deps: HubDeps, cdr: Record<string, unknown>, receiver: PartyRef): Promise<void> {
  if (deps.config.CDR_WITHOUT_AGREEMENT !== 'refuse') return;
  const cpo = partyRef(String(cdr.country_code), String(cdr.party_id));
  const emsp = partyRef(receiver.country_code, receiver.party_id);
  const currency = String(cdr.currency).toUpperCase();
  const agreements = await agreementsByPair.get(`${cpo}|${emsp}`, () => agreementsForPairs(deps.db, [{ cpo, emsp }]));
  if (coveringAgreement(agreements, { cpo, emsp, currency, at: new Date(String(cdr.end_date_time)) })) return;
  throw new HubError(`no roaming agreement between CPO ${cpo} and eMSP ${emsp} covers a ${currency} CDR ending ${String(cdr.end_date_time)}; this hub refuses such CDRs`, OcpiStatus.ClientError, 200, {
    data: { errors: [{ path: 'end_date_time', message: `outside every ${cpo} → ${emsp} agreement in ${currency}` }] },
  });
}
