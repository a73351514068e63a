// Routing decisions (SPEC-DIGEST §2.2–§2.3, §2.8) as a pure function of what the hub knows.
// IO (looking up parties, token ownership) happens before; forwarding happens after.
import type { PartyRef } from '../bus/messages.ts';

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

export const sameParty = (a: PartyRef, b: PartyRef) =>
  a.country_code.toUpperCase() === b.country_code.toUpperCase() && a.party_id.toUpperCase() === b.party_id.toUpperCase();

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

  const target = input.to ?? input.owner;
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
