// Tokens partners present are stored as keyed hashes (HMAC-SHA256), so a database leak does not
// hand out working credentials; tokens the hub presents to partners must be recoverable and are
// encrypted with AES-256-GCM. Both keys derive from TOKEN_ENCRYPTION_KEY.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenKeys {
  hashKey: Buffer;
  encryptionKey: Buffer;
}

export function deriveTokenKeys(base64Key: string): TokenKeys {
  const master = Buffer.from(base64Key, 'base64');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { hashKey: derive('ocpi-hub token hash'), encryptionKey: derive('ocpi-hub token encryption') };
}

export function hashToken(keys: TokenKeys, token: string): string {
  return createHmac('sha256', keys.hashKey).update(token, 'utf8').digest('hex');
}

// Every OCPI request hashes the token it presents; partners present the same few tokens over and
// over, so the hashes are remembered (per key set: tests and tools may hold several).
const recentHashes = new WeakMap<TokenKeys, Map<string, string>>();

export function hashPresentedToken(keys: TokenKeys, token: string): string {
  let hashes = recentHashes.get(keys);
  if (!hashes) recentHashes.set(keys, (hashes = new Map()));
  let hash = hashes.get(token);
  if (hash === undefined) {
    if (hashes.size >= 10_000) hashes.clear();
    hash = hashToken(keys, token);
    hashes.set(token, hash);
  }
  return hash;
}

/** Constant-time comparison of two hex hashes of equal length. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A new credentials token: 43 printable ASCII characters, 256 bits of randomness. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function encryptToken(keys: TokenKeys, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, iv);
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

export function decryptToken(keys: TokenKeys, sealed: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || !ciphertext) throw new Error('unreadable encrypted token');
  const decipher = createDecipheriv('aes-256-gcm', keys.encryptionKey, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
}
