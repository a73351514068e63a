// The credentials token the hub presents to a partner platform (the one the platform gave the hub
// at registration) and how to encode it. Shared by store-and-forward delivery and synchronous
// forwarding, so every outbound leg authenticates the same way.
import type { HubDeps } from '../deps.ts';
import type { TokenEncoding } from '../../ocpi/authorization.ts';
import { decryptToken } from '../partners/tokenCrypto.ts';

export interface PlatformAuth {
  token: string;
  encoding: TokenEncoding;
}

const authCache = new Map<string, { at: number; value: PlatformAuth | undefined }>();

/** The token and encoding the hub presents to a platform, cached briefly (rotations are rare). */
export async function platformAuth(deps: HubDeps, platformId: string): Promise<PlatformAuth | undefined> {
  const cached = authCache.get(platformId);
  if (cached && Date.now() - cached.at < 2000) return cached.value;
  const row = await deps.db('platforms').where({ id: platformId }).first('outbound_token_enc', 'auth_encoding');
  const value = row?.outbound_token_enc ? { token: decryptToken(deps.keys, row.outbound_token_enc), encoding: row.auth_encoding as TokenEncoding } : undefined;
  authCache.set(platformId, { at: Date.now(), value });
  return value;
}
