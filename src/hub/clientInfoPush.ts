// HubClientInfo push (SPEC-DIGEST §2.6): when a party's connection status changes, every other
// connected platform implementing the hubclientinfo Receiver gets a PUT of its ClientInfo; a
// platform that has just registered gets the ClientInfo of every other party (from its point of
// view they are all new). The PUTs travel the same durable, ordered lanes as every other push.
// A change whose announcement could not be published is not lost: the parties table remembers
// what was announced, and the worker's outbox sweeper announces the current state of the rest.
import type { HubDeps } from '../deps.ts';
import type { OcpiPushMessage, PartyRef } from '../bus/messages.ts';
import type { ConnectionStatus } from '../store/platforms.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { markAnnounced, partiesOutside, unannouncedParties, updatePartyStatus, type PartyStatusRow } from '../store/partyStatus.ts';
import type { Logger } from '../logger.ts';
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

/**
 * One party's ClientInfo to every other platform that can receive it. The change is already stored,
 * so a failed publish is not the caller's failure (an operator's suspension, a registration): it
 * is logged and left to the sweeper.
 */
export async function announceClientInfo(deps: HubDeps, row: PartyStatusRow): Promise<void> {
  try {
    await publishClientInfo(deps, row);
  } catch (err) {
    deps.log.warn({ err, party: `${row.country_code}-${row.party_id}`, role: row.role, status: row.status }, 'ClientInfo not announced now; the outbox sweeper announces it');
  }
}

/** Announces the current status of every party whose change was not announced within `graceMs`. */
export async function sweepClientInfo(deps: HubDeps, options: { graceMs: number; log?: Logger }): Promise<{ announced: number; failed: number }> {
  const report = { announced: 0, failed: 0 };
  const rows = await unannouncedParties(deps.db, options.graceMs);
  if (rows.length) deps.directory.invalidate();
  for (const row of rows) {
    try {
      await publishClientInfo(deps, row);
      report.announced++;
    } catch (err) {
      report.failed++;
      options.log?.warn({ err, party: `${row.country_code}-${row.party_id}`, role: row.role }, 'outbox sweeper could not announce a ClientInfo; the next sweep tries again');
    }
  }
  if (report.announced) options.log?.info({ parties: report.announced }, 'outbox sweeper announced ClientInfo changes that had not been published');
  return report;
}

async function publishClientInfo(deps: HubDeps, row: PartyStatusRow): Promise<void> {
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
  await markAnnounced(deps.db, row);
}

/**
 * A platform has just registered: the ClientInfo of every party of the other platforms, as GET would
 * list them. Its registration is complete (its token A is gone), so a failed publish must not fail
 * the handshake: it is logged, and the platform has the list to pull, as the spec has it do anyway.
 */
export async function sendClientInfoTo(deps: HubDeps, platformId: string): Promise<number> {
  deps.directory.invalidate();
  const receiver = (await deps.directory.ofPlatform(platformId)).find(receivesClientInfo);
  if (!receiver) return 0;
  const rows = await partiesOutside(deps.db, platformId);
  try {
    await publishPush(
      deps,
      rows.map((row) => clientInfoMessage(deps, row, receiver)),
    );
  } catch (err) {
    deps.log.warn({ err, platformId, parties: rows.length }, 'ClientInfo of the other parties not pushed to a new platform; it can GET the list');
    return 0;
  }
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
