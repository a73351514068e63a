// An operator suspends a party (`hub partners suspend CC-PID`) or lifts the suspension (`resume`).
// Suspended, the party is SUSPENDED in HubClientInfo (every other connected platform gets the
// ClientInfo PUT), the hub routes nothing to it (4003 for new requests) and its delivery lanes stop,
// keeping their backlog. Only `resume` lifts it: a credentials PUT or a new registration does not.
import type { HubDeps } from '../deps.ts';
import type { PartyRef } from '../bus/messages.ts';
import { InvalidParametersError, NotFoundError } from '../errors.ts';
import { setPartyStatus } from '../hub/clientInfoPush.ts';
import { type ConnectionStatus } from '../store/platforms.ts';
import { audit } from '../store/audit.ts';

export interface PartyStatusView {
  country_code: string;
  party_id: string;
  role: string;
  status: ConnectionStatus;
  suspended_at: string | null;
}

type Target = PartyRef & { role?: string };

export async function suspendParty(deps: HubDeps, party: Target, actor: string): Promise<PartyStatusView[]> {
  const target = normalized(party);
  const matching = await partiesMatching(deps, target);
  if (matching.length === 0) throw new NotFoundError(`unknown party ${describe(target)}`);
  // The mark first: a party already SUSPENDED (its platform unregistered) keeps it when it registers again.
  await matchQuery(deps, target).whereNull('suspended_at').update({ suspended_at: deps.db.fn.now() });
  await setPartyStatus(deps, target, 'SUSPENDED');
  await audit(deps.db, { actor, action: 'party.suspend', subject: describe(target), details: { roles: matching.map((p) => p.role) } });
  deps.log.info({ party: describe(target), actor }, 'party suspended');
  return partiesMatching(deps, target);
}

export async function resumeParty(deps: HubDeps, party: Target, actor: string): Promise<PartyStatusView[]> {
  const target = normalized(party);
  const matching = await partiesMatching(deps, target);
  if (matching.length === 0) throw new NotFoundError(`unknown party ${describe(target)}`);
  const suspended = matching.filter((p) => p.suspended_at !== null);
  if (suspended.length === 0) throw new InvalidParametersError(`${describe(target)} is not suspended by an operator`, [{ path: 'party', message: 'not suspended' }]);
  await matchQuery(deps, target).whereNotNull('suspended_at').update({ suspended_at: null });
  for (const row of suspended) {
    // Back to what the platform's registration says: CONNECTED when registered (the health checks
    // take it from there), PLANNED while only invited; an unregistered platform must register again.
    const status = row.platform_state === 'REGISTERED' ? 'CONNECTED' : row.platform_state === 'INVITED' ? 'PLANNED' : undefined;
    if (status) await setPartyStatus(deps, row, status, { from: ['SUSPENDED'] });
  }
  await audit(deps.db, { actor, action: 'party.resume', subject: describe(target), details: { roles: suspended.map((p) => p.role) } });
  deps.log.info({ party: describe(target), actor }, 'party resumed');
  return partiesMatching(deps, target);
}

const normalized = (t: Target): Target => ({ country_code: t.country_code.toUpperCase(), party_id: t.party_id.toUpperCase(), role: t.role?.toUpperCase() });

function matchQuery(deps: HubDeps, target: Target) {
  const query = deps.db('parties').whereRaw('upper(parties.country_code) = upper(?) AND upper(parties.party_id) = upper(?)', [target.country_code, target.party_id]);
  if (target.role) query.where('parties.role', target.role);
  return query;
}

async function partiesMatching(deps: HubDeps, target: Target): Promise<(PartyStatusView & { platform_state: string })[]> {
  const rows = await matchQuery(deps, target)
    .join('platforms', 'platforms.id', 'parties.platform_id')
    .orderBy('parties.role')
    .select('parties.country_code', 'parties.party_id', 'parties.role', 'parties.status', 'parties.suspended_at', 'platforms.state as platform_state');
  return rows.map((r) => ({ ...r, suspended_at: r.suspended_at ? new Date(r.suspended_at).toISOString() : null }));
}

const describe = (target: Target) => `${target.country_code}-${target.party_id}${target.role ? ` (${target.role})` : ''}`;
