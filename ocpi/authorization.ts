// Authorization header per OCPI 2.2.1 §"Authorization header": `Token <base64(utf8(token))>`.
// 2.1.1-era peers send the token unencoded, so parsing tolerates both forms: the caller gets
// every plausible token and looks each one up.

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export type TokenEncoding = 'base64' | 'plain';

export function encodeAuthorization(token: string, encoding: TokenEncoding = 'base64'): string {
  return `Token ${encoding === 'base64' ? Buffer.from(token, 'utf8').toString('base64') : token}`;
}

/**
 * Candidate tokens from an Authorization header value, most likely first:
 * the Base64-decoded token (2.2.1), then the raw value (2.1.1 / 2.2 peers).
 * Returns [] when the header is absent or not of the form `Token <value>`.
 */
export function tokenCandidates(header: string | undefined): string[] {
  if (!header) return [];
  const match = /^Token\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) return [];
  const raw = match[1];
  const candidates: string[] = [];
  if (BASE64.test(raw) && raw.length % 4 === 0) {
    // Some peers encode a trailing newline (the spec's own example does): drop it.
    const decoded = Buffer.from(raw, 'base64').toString('utf8').replace(/\r?\n$/, '');
    if (decoded.length > 0 && PRINTABLE_ASCII.test(decoded)) candidates.push(decoded);
  }
  if (PRINTABLE_ASCII.test(raw) && !candidates.includes(raw)) candidates.push(raw);
  return candidates;
}

export function isValidCredentialsToken(token: string): boolean {
  return token.length > 0 && token.length <= 64 && PRINTABLE_ASCII.test(token);
}
