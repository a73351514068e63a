// The credentials token the hub presents to a partner platform (the one the platform gave the hub
// at registration) and how to encode it. Shared by store-and-forward delivery and synchronous
// forwarding, so every outbound leg authenticates the same way.
import type { HubDeps } from '../deps.ts';
import type { TokenEncoding } from '../../ocpi/authorization.ts';
import { decryptToken } from '../partners/tokenCrypto.ts';
import { TtlCache } from '../ttlCache.ts';

export interface PlatformAuth {
  token: string;
  encoding: TokenEncoding;
}

const authCache = new TtlCache<string, PlatformAuth | undefined>(2000);

/** The token and encoding the hub presents to a platform, cached briefly (rotations are rare). */
export function platformAuth(deps: HubDeps, platformId: string): Promise<PlatformAuth | undefined> {
  return authCache.get(platformId, async () => {
    const row = await deps.db('platforms').where({ id: platformId }).first('outbound_token_enc', 'auth_encoding');
    return row?.outbound_token_enc ? { token: decryptToken(deps.keys, row.outbound_token_enc), encoding: row.auth_encoding as TokenEncoding } : undefined;
  });
}
