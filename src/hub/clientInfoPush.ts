// HubClientInfo push (SPEC-DIGEST §2.6): when a party's connection status changes, every other
// connected platform implementing the hubclientinfo Receiver gets a PUT of its ClientInfo. The
// PUTs travel the same durable, ordered lanes as every other push.
import type { HubDeps } from '../deps.ts';
import type { OcpiPushMessage } from '../bus/messages.ts';
import type { ConnectionStatus } from '../store/platforms.ts';
import { toOcpiDateTime } from '../../ocpi/envelope.ts';
import { partyKey } from '../bus/subjects.ts';
import { publishPush } from './publishPush.ts';
import { randomUUID } from 'node:crypto';

export async function setPartyStatus(deps: HubDeps, party: { country_code: string; party_id: string; role?: string }, status: ConnectionStatus): Promise<boolean> {
  const query = deps.db('parties').whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [party.country_code, party.party_id]).whereNot({ status });
  if (party.role) query.where({ role: party.role });
  const changed = await query.update({ status, last_updated: deps.db.fn.now() }).returning(['country_code', 'party_id', 'role', 'status', 'last_updated', 'platform_id']);
  deps.directory.invalidate();
  for (const row of changed) await announceClientInfo(deps, row);
  return changed.length > 0;
}

export async function announceClientInfo(
  deps: HubDeps,
  row: { country_code: string; party_id: string; role: string; status: string; last_updated: Date; platform_id: string },
): Promise<void> {
  const parties = await deps.directory.all();
  const seenPlatforms = new Set<string>([row.platform_id]);
  const hub = { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID };
  const body = { country_code: row.country_code, party_id: row.party_id, role: row.role, status: row.status, last_updated: toOcpiDateTime(new Date(row.last_updated)) };
  const messages: OcpiPushMessage[] = [];
  for (const p of parties) {
    // One PUT per platform: ClientInfo is exchanged platform to hub.
    if (seenPlatforms.has(p.platformId) || p.status === 'SUSPENDED' || !p.interfaces.has('hubclientinfo:RECEIVER')) continue;
    seenPlatforms.add(p.platformId);
    messages.push({
      module: 'hubclientinfo',
      event: 'put',
      path: [row.country_code, row.party_id],
      body,
      object_key: `hubclientinfo:${partyKey(row.country_code, row.party_id)}:${row.role}`,
      sender: hub,
      from: hub,
      receiver: { country_code: p.country_code, party_id: p.party_id },
      routing: 'direct',
      request_id: randomUUID(),
      correlation_id: randomUUID(),
      accepted_at: new Date().toISOString(),
    });
  }
  await publishPush(deps, messages);
}
