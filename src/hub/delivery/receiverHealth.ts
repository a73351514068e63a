// A receiver whose deliveries keep failing is marked OFFLINE (and every other platform hears so
// through HubClientInfo); the first success, or a still-alive check that reaches its versions
// endpoint, marks it CONNECTED again.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { PartyRef } from '../../bus/messages.ts';
import { partyKey } from '../../bus/subjects.ts';
import { setPartyStatus } from '../clientInfoPush.ts';
import { ocpiRequest } from '../ocpiClient.ts';
import { decryptToken } from '../../partners/tokenCrypto.ts';

export const OFFLINE_AFTER_FAILURES = 3;

export class ReceiverHealth {
  private failures = new Map<string, number>();

  constructor(
    private readonly deps: HubDeps,
    private readonly log: Logger,
  ) {}

  async succeeded(receiver: PartyRef): Promise<void> {
    const key = partyKey(receiver.country_code, receiver.party_id);
    if (this.failures.has(key)) this.failures.delete(key);
    const party = await this.deps.directory.find(receiver);
    if (party?.status === 'OFFLINE') {
      await this.mark(receiver, 'CONNECTED');
    }
  }

  async failed(receiver: PartyRef, reason: string): Promise<void> {
    const key = partyKey(receiver.country_code, receiver.party_id);
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, count);
    if (count === OFFLINE_AFTER_FAILURES) {
      const party = await this.deps.directory.find(receiver);
      if (party?.status === 'CONNECTED') {
        this.log.warn({ receiver: key, reason }, 'receiver unreachable: marking OFFLINE');
        await this.mark(receiver, 'OFFLINE');
      }
    }
  }

  /** Still-alive check: GET the versions endpoint of every OFFLINE platform. */
  async checkOffline(): Promise<void> {
    const offline = (await this.deps.directory.all()).filter((p) => p.status === 'OFFLINE' && p.platformState === 'REGISTERED');
    for (const party of offline) {
      const row = await this.deps.db('platforms').where({ id: party.platformId }).first('versions_url', 'outbound_token_enc', 'auth_encoding');
      if (!row?.versions_url || !row.outbound_token_enc) continue;
      const reply = await ocpiRequest({ method: 'GET', url: row.versions_url, token: decryptToken(this.deps.keys, row.outbound_token_enc), encoding: row.auth_encoding, timeoutMs: 5000, allowPrivate: this.deps.config.ALLOW_PRIVATE_PARTNER_URLS }).catch(() => undefined);
      if (reply?.httpStatus === 200 && reply.envelope?.status_code === 1000) await this.mark(party, 'CONNECTED');
    }
  }

  private async mark(receiver: PartyRef, status: 'CONNECTED' | 'OFFLINE'): Promise<void> {
    await setPartyStatus(this.deps, receiver, status);
    await this.deps.db('delivery_health')
      .insert({ receiver: partyKey(receiver.country_code, receiver.party_id), consecutive_failures: 0 })
      .onConflict('receiver')
      .merge(status === 'CONNECTED' ? { last_success_at: this.deps.db.fn.now(), consecutive_failures: 0 } : { last_failure_at: this.deps.db.fn.now(), consecutive_failures: OFFLINE_AFTER_FAILURES });
  }
}
