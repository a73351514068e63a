// The credentials token the hub presents to a partner platform (the one the platform gave the hub
// at registration) and how to encode it. Shared by store-and-forward delivery and synchronous
// forwarding, so every outbound leg authenticates the same way.
import type { HubDeps } from '../deps.ts';
import type { TokenEncoding } from '../../ocpi/authorization.ts';
import { decryptToken } from '../partners/tokenCrypto.ts';
import { TtlCache } from '../ttlCache.ts';
import { ocpiRequest, type OcpiReply, type OcpiRequest } from './ocpiClient.ts';

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

/** Drops a platform's cached token: this process has just stored new credentials for it. */
export function forgetPlatformAuth(platformId: string): void {
  authCache.delete(platformId);
}

/**
 * Sends a request with the platform's token. A 401 or 403 can mean the platform's credentials were
 * rotated in another hub process while this one still held the old token: the token is read
 * again and, when it changed, the request goes once more with the new one (the receiver refused
 * the first, so nothing happens twice).
 */
export async function requestWithPlatformAuth(deps: HubDeps, platformId: string, auth: PlatformAuth, request: Omit<OcpiRequest, 'token' | 'encoding'>): Promise<OcpiReply> {
  const reply = await ocpiRequest({ ...request, token: auth.token, encoding: auth.encoding });
  if (reply.httpStatus !== 401 && reply.httpStatus !== 403) return reply;
  forgetPlatformAuth(platformId);
  const fresh = await platformAuth(deps, platformId);
  if (!fresh || fresh.token === auth.token) return reply;
  return ocpiRequest({ ...request, token: fresh.token, encoding: fresh.encoding });
}
