// Routing decisions (SPEC-DIGEST §2.2–§2.3, §2.8) as a pure function of what the hub knows.
// IO (looking up parties, token ownership) happens before; forwarding happens after.
import type { PartyRef } from '../bus/messages.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export interface KnownParty extends PartyRef {
  role: string;
  status: 'CONNECTED' | 'OFFLINE' | 'PLANNED' | 'SUSPENDED';
  platformId: string;
  /** `${module}:${interfaceRole}` for every endpoint the party's platform lists. */
  interfaces: ReadonlySet<string>;
}

export type RouteKind = 'push' | 'sync';

export interface RouteInput {
  module: string;
  kind: RouteKind;
  /** The interface the receiver must implement for this call (RECEIVER for pushes). */
  receiverInterface: 'SENDER' | 'RECEIVER';
  hub: PartyRef;
  sender: KnownParty;
  /** OCPI-to-* headers; absent means open routing. */
  to?: PartyRef;
  /** For open routing: the owner the hub determined from its own data, if any. */
  owner?: PartyRef;
  /**
   * For open routing of a session or CDR: the eMSP its `cdr_token` names (country_code/party_id).
   * Taken when the hub's own data finds no owner: the CPO may know the token from the eMSP
   * directly (peer-to-peer, a whitelist) and the hub never saw it.
   */
  claimedOwner?: PartyRef;
  parties: readonly KnownParty[];
}

export type RouteDecision =
  | { ok: true; mode: 'direct' | 'broadcast' | 'open'; receivers: KnownParty[] }
  | { ok: false; error: 'unknown_receiver' | 'not_connected' | 'not_implemented' | 'broadcast_not_allowed'; message: string };

/** Broadcast push makes sense for data meant for everybody (spec: tokens, locations; not CDRs and sessions). */
const BROADCASTABLE = new Set(['locations', 'tariffs', 'tokens']);

/**
 * The "opposite role" of a broadcast: a CPO pushes to eMSPs, NSPs and OTHER (seen as an eMSP type)
 * and to NAPs (which collect locations); an eMSP or OTHER pushes to CPOs only.
 */
export function broadcastRoles(senderRole: string): string[] {
  switch (senderRole) {
    case 'CPO':
      return ['EMSP', 'NSP', 'OTHER', 'NAP', 'SCSP'];
    case 'EMSP':
    case 'OTHER':
      return ['CPO'];
    default:
      return [];
  }
}

/** The roles that own each module's objects and implement its Sender interface (SPEC-DIGEST §2.2). */
const OWNER_ROLES: Record<string, readonly string[]> = {
  locations: ['CPO'],
  sessions: ['CPO'],
  cdrs: ['CPO'],
  tariffs: ['CPO'],
  tokens: ['EMSP', 'OTHER'],
};

/** Modules whose Receiver interface is the CPO's: commands and charging profiles go to the charge point's operator. */
const CPO_RECEIVES = new Set(['commands', 'chargingprofiles']);

/**
 * The roles that implement a module's interface, or undefined when any role may (hubclientinfo,
 * credentials). Endpoints belong to a platform, not to a role: a platform with a CPO and an eMSP
 * under one country_code/party_id lists `cdrs:RECEIVER` for both rows, and only the role says which
 * of the two a CDR is for. A CPO's locations, sessions, CDRs and tariffs go to the roles a CPO
 * broadcasts to; an eMSP's tokens, commands and charging profiles go to the CPO.
 */
export function rolesImplementing(module: string, iface: 'SENDER' | 'RECEIVER'): readonly string[] | undefined {
  const owners = OWNER_ROLES[module];
  if (owners) return iface === 'SENDER' ? owners : module === 'tokens' ? broadcastRoles('EMSP') : broadcastRoles('CPO');
  if (CPO_RECEIVES.has(module)) return iface === 'RECEIVER' ? ['CPO'] : broadcastRoles('CPO');
  return undefined;
}

/**
 * Which of one country_code/party_id's rows takes a call to `module:iface`: the row of the role that
 * implements it, whatever its status (a suspended eMSP is not stood in for by the CPO beside it).
 * Without such a row (or for modules any role may take), the first implementing row that is not
 * suspended, else the first. Undefined when none implements it.
 */
export function receivingParty<P extends KnownParty>(rows: readonly P[], module: string, iface: 'SENDER' | 'RECEIVER'): P | undefined {
  const implementing = rows.filter((p) => p.interfaces.has(`${module}:${iface}`));
  const roles = rolesImplementing(module, iface);
  return implementing.find((p) => roles?.includes(p.role)) ?? implementing.find((p) => p.status !== 'SUSPENDED') ?? implementing[0];
}

/** country_code and party_id are CiStrings. */
export const sameParty = (a: PartyRef, b: PartyRef) => ciKey(a.country_code) === ciKey(b.country_code) && ciKey(a.party_id) === ciKey(b.party_id);

/**
 * The eMSP a cdr_token names, when the directory knows that party in a role that issues tokens.
 * Otherwise the refusal: a CPO (or NSP…) under those ids did not issue the token, and a party the
 * hub does not know cannot be delivered to.
 */
export function claimedTokenOwner(claimed: PartyRef, parties: readonly KnownParty[]): { ok: true; owner: PartyRef } | { ok: false; message: string } {
  const rows = parties.filter((p) => sameParty(p, claimed));
  const issuers = rolesImplementing('tokens', 'SENDER') ?? [];
  if (rows.some((p) => issuers.includes(p.role))) return { ok: true, owner: claimed };
  const which = rows.length ? `registered as ${[...new Set(rows.map((p) => p.role))].join(', ')}, not as an eMSP` : 'not registered with the hub';
  return {
    ok: false,
    message: `no OCPI-to-* headers and the hub has not seen this token: cdr_token.country_code/party_id name ${claimed.country_code}-${claimed.party_id}, which is ${which}`,
  };
}

export function decideRoute(input: RouteInput): RouteDecision {
  const implementing = (p: KnownParty) => p.interfaces.has(`${input.module}:${input.receiverInterface}`);

  if (input.to && sameParty(input.to, input.hub)) {
    if (input.kind !== 'push') return { ok: false, error: 'unknown_receiver', message: 'the hub itself cannot answer this request: address the owning party' };
    if (!BROADCASTABLE.has(input.module)) {
      return { ok: false, error: 'broadcast_not_allowed', message: `${input.module} are not broadcast: address the receiving party in OCPI-to-*` };
    }
    const roles = broadcastRoles(input.sender.role);
    const receivers = input.parties.filter(
      (p) => roles.includes(p.role) && implementing(p) && p.platformId !== input.sender.platformId && (p.status === 'CONNECTED' || p.status === 'OFFLINE'),
    );
    return { ok: true, mode: 'broadcast', receivers };
  }

  // The cdr_token's word comes last: the hub's own data (tokens it routed, commands, the prefix map) first.
  const claimed = input.to || input.owner || !input.claimedOwner ? undefined : claimedTokenOwner(input.claimedOwner, input.parties);
  if (claimed && !claimed.ok) return { ok: false, error: 'unknown_receiver', message: claimed.message };
  const target = input.to ?? input.owner ?? claimed?.owner;
  if (!target) {
    if (input.kind === 'push' && BROADCASTABLE.has(input.module)) return decideRoute({ ...input, to: input.hub });
    return { ok: false, error: 'unknown_receiver', message: `no OCPI-to-* headers and the hub cannot tell who should receive this ${input.module} request` };
  }
  const candidates = input.parties.filter((p) => sameParty(p, target) && p.platformId !== undefined);
  if (candidates.length === 0) return { ok: false, error: 'unknown_receiver', message: `unknown receiver ${target.country_code}-${target.party_id}` };
  const receiver = receivingParty(candidates, input.module, input.receiverInterface);
  if (!receiver) {
    return { ok: false, error: 'not_implemented', message: `${target.country_code}-${target.party_id} does not implement the ${input.module} ${input.receiverInterface.toLowerCase()} interface` };
  }
  const reachable = input.kind === 'push' ? receiver.status === 'CONNECTED' || receiver.status === 'OFFLINE' : receiver.status === 'CONNECTED';
  if (!reachable) return { ok: false, error: 'not_connected', message: `${target.country_code}-${target.party_id} is ${receiver.status.toLowerCase()}` };
  return { ok: true, mode: input.to ? 'direct' : 'open', receivers: [receiver] };
}
