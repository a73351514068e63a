// SSRF guard for every URL a partner hands us (versions URL, endpoints, response_url): http(s)
// only, and no loopback, private or link-local targets unless configuration allows them.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidParametersError } from '../errors.ts';

const privateV4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
}

export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const value = v4ToInt(ip);
    return privateV4.some(([base, bits]) => {
      const mask = (~0 << (32 - bits)) >>> 0;
      return (value & mask) === (v4ToInt(base) & mask);
    });
  }
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:')) return isPrivateAddress(lower.slice(7));
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

export async function assertPartnerUrl(raw: string, field: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidParametersError(`${field}: not a valid URL`, [{ path: field, message: 'not a valid URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidParametersError(`${field}: only http and https URLs are accepted`, [{ path: field, message: 'only http and https URLs are accepted' }]);
  }
  if (url.username || url.password) {
    throw new InvalidParametersError(`${field}: credentials in URLs are not accepted`, [{ path: field, message: 'credentials in URLs are not accepted' }]);
  }
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) {
    throw new InvalidParametersError(`${field}: host ${host} does not resolve`, [{ path: field, message: 'host does not resolve' }]);
  }
  if (addresses.some(isPrivateAddress)) {
    throw new InvalidParametersError(`${field}: loopback, private and link-local addresses are not accepted`, [
      { path: field, message: 'loopback, private and link-local addresses are not accepted' },
    ]);
  }
  return url;
}
