// A party's CONNECTED/OFFLINE status from what the hub observes (rules in healthRules.ts): failed
// deliveries past a threshold since the last status change make it OFFLINE (a 429 does not count),
// a delivery it accepts makes it CONNECTED again. Deliveries judge the role that receives the
// module: a platform with a CPO and an eMSP under one party id whose CDR endpoint is broken has
// its eMSP role go OFFLINE, while commands to its CPO role (refused with 4003 when OFFLINE) still
// go through. The still-alive check (SPEC-DIGEST §2.6) GETs the
// versions endpoint of a platform the hub has not heard from for STILL_ALIVE_AFTER_S, and of every
// OFFLINE one until it answers. Every change reaches the other platforms through HubClientInfo.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { PartyRef } from '../../bus/messages.ts';
import type { ConnectionStatus } from '../../store/platforms.ts';
import { partyKey } from '../../bus/subjects.ts';
import { setPartyStatus } from '../clientInfoPush.ts';
import { ocpiRequest } from '../ocpiClient.ts';
import { noteSeen } from '../partyLiveness.ts';
import { partiesOfPlatform } from '../../store/partyStatus.ts';
import { decryptToken } from '../../partners/tokenCrypto.ts';
import { nextHealth, OFFLINE_AFTER_FAILURES, type HealthEvent, type HealthState } from './healthRules.ts';

/** A role of a party and its stored status (a directory row or a parties row). */
type RoleRef = PartyRef & { role: string; status: string };

export { OFFLINE_AFTER_FAILURES };

/** How often a worker looks for platforms due a still-alive check: a single UPDATE over the platforms table. */
export function stillAliveTickMs(stillAliveAfterS: number): number {
  return Math.max(200, Math.min(30_000, (stillAliveAfterS * 1000) / 2));
}

/** Platforms checked at once per worker and tick (the rest wait for the next tick). */
const CHECKS_PER_TICK = 50;

/** An OFFLINE platform is asked this often whether it is back. */
const offlineRecheckS = (stillAliveAfterS: number) => Math.min(30, stillAliveAfterS);

interface DueCheck {
  id: string;
  versions_url: string;
  outbound_token_enc: string;
  auth_encoding: 'base64' | 'plain';
}

export class ReceiverHealth {
  /** Per receiving role (CC-PID:ROLE): the status this process last saw and its failure count. */
  private states = new Map<string, HealthState>();

  constructor(
    private readonly deps: HubDeps,
    private readonly log: Logger,
  ) {}

  async succeeded(receiver: PartyRef, module: string): Promise<void> {
    const party = await this.deps.directory.receiverOf(receiver, module);
    if (!party) return;
    noteSeen(this.deps, party.platformId);
    await this.observe(party, { kind: 'delivered' }, 'delivered');
  }

  async failed(receiver: PartyRef, module: string, reason: string, httpStatus?: number): Promise<void> {
    const party = await this.deps.directory.receiverOf(receiver, module);
    if (party) await this.observe(party, { kind: 'delivery_failed', httpStatus }, reason);
  }

  /**
   * Claims the platforms due a still-alive check (so two workers never check one at once) and GETs
   * their versions endpoints: a CONNECTED one silent for STILL_ALIVE_AFTER_S, an OFFLINE one every
   * 30 s (or STILL_ALIVE_AFTER_S when shorter). One query when nothing is due; at most
   * CHECKS_PER_TICK platforms at a time.
   */
  async checkStillAlive(): Promise<void> {
    const silentS = this.deps.config.STILL_ALIVE_AFTER_S;
    const { rows } = await this.deps.db.raw<{ rows: DueCheck[] }>(
      `UPDATE platforms SET alive_checked_at = now()
        WHERE id IN (
          SELECT f.id FROM platforms f
           WHERE f.state = 'REGISTERED' AND f.versions_url IS NOT NULL AND f.outbound_token_enc IS NOT NULL
             AND (
               (EXISTS (SELECT 1 FROM parties p WHERE p.platform_id = f.id AND p.status = 'OFFLINE')
                 AND coalesce(f.alive_checked_at, '-infinity') < now() - make_interval(secs => ?))
               OR (EXISTS (SELECT 1 FROM parties p WHERE p.platform_id = f.id AND p.status = 'CONNECTED')
                 AND greatest(f.last_seen_at, f.registered_at, f.alive_checked_at) < now() - make_interval(secs => ?))
             )
           ORDER BY f.alive_checked_at NULLS FIRST
           LIMIT ${CHECKS_PER_TICK}
           FOR UPDATE SKIP LOCKED)
        RETURNING id, versions_url, outbound_token_enc, auth_encoding`,
      [offlineRecheckS(silentS), silentS],
    );
    await Promise.all(rows.map((row) => this.checkPlatform(row)));
  }

  private async checkPlatform(row: DueCheck): Promise<void> {
    const reply = await ocpiRequest({
      method: 'GET',
      url: row.versions_url,
      token: decryptToken(this.deps.keys, row.outbound_token_enc),
      encoding: row.auth_encoding,
      timeoutMs: Math.min(5000, this.deps.config.FORWARD_TIMEOUT_MS),
      allowPrivate: this.deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    }).catch((err: Error) => ({ failure: err.message }) as const);
    const ok = !('failure' in reply) && reply.httpStatus === 200 && reply.envelope?.status_code === 1000;
    const reason = 'failure' in reply ? reply.failure : `versions endpoint answered HTTP ${reply.httpStatus}, OCPI ${reply.envelope?.status_code ?? 'none'}`;
    if (ok) await this.deps.db('platforms').where({ id: row.id }).update({ last_seen_at: this.deps.db.fn.now() });
    // The versions endpoint answers for the whole platform: every role it holds is judged.
    const watched = (await partiesOfPlatform(this.deps.db, row.id)).filter((p) => p.status === 'CONNECTED' || p.status === 'OFFLINE');
    for (const party of watched) {
      await this.observe(party, { kind: 'alive_check', ok }, ok ? 'still-alive check answered' : `still-alive check failed: ${reason}`);
    }
  }

  private async observe(party: RoleRef, event: HealthEvent, reason: string): Promise<void> {
    const stored = party.status as ConnectionStatus;
    const key = `${partyKey(party.country_code, party.party_id)}:${party.role}`;
    const seen = nextHealth(this.states.get(key) ?? { status: stored, failures: 0 }, { kind: 'status_seen', status: stored });
    const next = nextHealth(seen, event);
    this.states.set(key, next);
    if (next.status === seen.status) return;
    const status = next.status as 'CONNECTED' | 'OFFLINE';
    if (status === 'OFFLINE') this.log.warn({ receiver: key, reason }, 'receiver unreachable: marking OFFLINE');
    else this.log.info({ receiver: key, reason }, 'receiver reachable again: marking CONNECTED');
    await setPartyStatus(this.deps, { country_code: party.country_code, party_id: party.party_id, role: party.role }, status, { from: [seen.status] });
  }
}
