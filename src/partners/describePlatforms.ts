import type { Db } from '../store/db.ts';
import { listPlatforms } from '../store/platforms.ts';

/** Platforms with their parties, as the CLI and admin API show them (no token material). */
export async function describePlatforms(db: Db) {
  const platforms = await listPlatforms(db);
  return platforms.map((p) => ({
    id: p.id,
    name: p.name,
    state: p.state,
    version: p.version,
    versions_url: p.versionsUrl,
    auth_encoding: p.authEncoding,
    registered_at: p.registeredAt?.toISOString() ?? null,
    modules: [...new Set(p.endpoints.map((e) => `${e.identifier}:${e.role}`))],
    parties: p.parties.map((party) => ({ country_code: party.countryCode, party_id: party.partyId, role: party.role, status: party.status, name: party.businessDetails.name })),
  }));
}
