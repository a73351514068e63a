// Every known party with the interfaces its platform implements, cached for a moment: routing
// reads it on every request, and registrations are rare.
import type { Db } from '../store/db.ts';
import type { Endpoint } from '../store/platforms.ts';
import { receivingParty, type KnownParty } from './routing.ts';
import type { PartyRef } from '../bus/messages.ts';
import { partyKey } from '../bus/subjects.ts';

export interface DirectoryParty extends KnownParty {
  partyUuid: string;
  platformState: string;
  /** When the platform's state last changed (for an unregistered one: when it unregistered). */
  platformUpdatedAt: Date;
  endpoints: Endpoint[];
}

export class PartyDirectory {
  /** The rows, and the same rows by party key: every delivery looks its receiver up twice. */
  private cache: { at: number; parties: DirectoryParty[]; byKey: Map<string, DirectoryParty[]> } | undefined;

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 2000,
  ) {}

  invalidate(): void {
    this.cache = undefined;
  }

  async all(): Promise<DirectoryParty[]> {
    return (await this.current()).parties;
  }

  private async current(): Promise<NonNullable<PartyDirectory['cache']>> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache;
    const rows = await this.db('parties')
      .join('platforms', 'platforms.id', 'parties.platform_id')
      .select('parties.id', 'parties.country_code', 'parties.party_id', 'parties.role', 'parties.status', 'parties.platform_id', 'platforms.state', 'platforms.endpoints', 'platforms.updated_at')
      // A fixed order, so that whichever process asks, the same row comes first: registered
      // platforms before unregistered ones (under one identity, the one that can be reached), then
      // in the order they joined, and a platform's rows by role.
      .orderByRaw(`(platforms.state = 'REGISTERED') DESC, platforms.created_at, platforms.id, parties.role, parties.id`);
    const parties = rows.map(
      (r): DirectoryParty => ({
        partyUuid: r.id,
        country_code: r.country_code,
        party_id: r.party_id,
        role: r.role,
        // A party of an unregistered platform cannot be reached whatever its last status was.
        status: r.state === 'REGISTERED' ? r.status : 'SUSPENDED',
        platformId: r.platform_id,
        platformState: r.state,
        platformUpdatedAt: new Date(r.updated_at),
        endpoints: r.endpoints,
        interfaces: new Set((r.endpoints as Endpoint[]).map((e) => `${e.identifier}:${e.role}`)),
      }),
    );
    const byKey = new Map<string, DirectoryParty[]>();
    for (const p of parties) {
      const key = partyKey(p.country_code, p.party_id);
      byKey.set(key, [...(byKey.get(key) ?? []), p]);
    }
    this.cache = { at: Date.now(), parties, byKey };
    return this.cache;
  }

  /** The rows under one country_code/party_id, in directory order. */
  private async rowsOf(ref: PartyRef): Promise<DirectoryParty[]> {
    return (await this.current()).byKey.get(partyKey(ref.country_code, ref.party_id)) ?? [];
  }

  async find(ref: PartyRef, role?: string): Promise<DirectoryParty | undefined> {
    return (await this.rowsOf(ref)).find((p) => role === undefined || p.role === role);
  }

  /**
   * The row under `ref` that receives pushes of `module` (routing.ts `receivingParty`): with a CPO and
   * an eMSP under one country_code/party_id, a CDR is the eMSP's, a token the CPO's.
   */
  async receiverOf(ref: PartyRef, module: string): Promise<DirectoryParty | undefined> {
    return receivingParty(await this.rowsOf(ref), module, 'RECEIVER');
  }

  async ofPlatform(platformId: string): Promise<DirectoryParty[]> {
    return (await this.all()).filter((p) => p.platformId === platformId);
  }
}
