// HubClientInfo push (SPEC-DIGEST §2.6): when a party's connection status changes, every other
// connected platform implementing the hubclientinfo Receiver gets a PUT of its ClientInfo; a
// platform that has just registered gets the ClientInfo of every other party (from its point of
// view they are all new). The PUTs travel the same durable, ordered lanes as every other push.
import type { HubDeps } from '../deps.ts';
import type { OcpiPushMessage, PartyRef } from '../bus/messages.ts';
import type { ConnectionStatus } from '../store/platforms.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { partiesOutside, updatePartyStatus, type PartyStatusRow } from '../store/partyStatus.ts';
import { toOcpiDateTime } from '../../ocpi/envelope.ts';
import { partyKey } from '../bus/subjects.ts';
import { publishPush } from './publishPush.ts';
import { randomUUID } from 'node:crypto';

/**
 * Sets the status of a party (every role under its country_code/party_id unless `role` is given)
 * and announces each row that changed. `from` limits the change to rows in those statuses, so a
 * health observation never overrides an operator's SUSPENDED; `set` adds columns to the same update.
 */
export async function setPartyStatus(
  deps: HubDeps,
  party: { country_code: string; party_id: string; role?: string },
  status: ConnectionStatus,
  options: { from?: readonly ConnectionStatus[]; set?: Record<string, unknown> } = {},
): Promise<boolean> {
  const changed = await updatePartyStatus(deps.db, party, status, options);
  deps.directory.invalidate();
  for (const row of changed) await announceClientInfo(deps, row);
  return changed.length > 0;
}

/** One party's ClientInfo to every other platform that can receive it. */
export async function announceClientInfo(deps: HubDeps, row: PartyStatusRow): Promise<void> {
  const parties = await deps.directory.all();
  const seenPlatforms = new Set<string>([row.platform_id]);
  const messages: OcpiPushMessage[] = [];
  for (const p of parties) {
    // One PUT per platform: ClientInfo is exchanged platform to hub.
    if (seenPlatforms.has(p.platformId) || !receivesClientInfo(p)) continue;
    seenPlatforms.add(p.platformId);
    messages.push(clientInfoMessage(deps, row, p));
  }
  await publishPush(deps, messages);
}

/** A platform has just registered: the ClientInfo of every party of the other platforms, as GET would list them. */
export async function sendClientInfoTo(deps: HubDeps, platformId: string): Promise<number> {
  deps.directory.invalidate();
  const receiver = (await deps.directory.ofPlatform(platformId)).find(receivesClientInfo);
  if (!receiver) return 0;
  const rows = await partiesOutside(deps.db, platformId);
  await publishPush(
    deps,
    rows.map((row) => clientInfoMessage(deps, row, receiver)),
  );
  return rows.length;
}

const receivesClientInfo = (p: DirectoryParty) => p.status !== 'SUSPENDED' && p.interfaces.has('hubclientinfo:RECEIVER');

function clientInfoMessage(deps: HubDeps, row: PartyStatusRow, receiver: PartyRef): OcpiPushMessage {
  const hub = { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID };
  return {
    module: 'hubclientinfo',
    event: 'put',
    path: [row.country_code, row.party_id],
    body: { country_code: row.country_code, party_id: row.party_id, role: row.role, status: row.status, last_updated: toOcpiDateTime(new Date(row.last_updated)) },
    object_key: `hubclientinfo:${partyKey(row.country_code, row.party_id)}:${row.role}`,
    sender: hub,
    from: hub,
    receiver: { country_code: receiver.country_code, party_id: receiver.party_id },
    routing: 'direct',
    request_id: randomUUID(),
    correlation_id: randomUUID(),
    accepted_at: new Date().toISOString(),
  };
}
