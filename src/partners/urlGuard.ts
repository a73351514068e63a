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
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
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
  const words = v6Words(ip);
  if (!words) return true; // not an address we understand: refuse
  const v4At = (i: number) => `${words[i] >> 8}.${words[i] & 255}.${words[i + 1] >> 8}.${words[i + 1] & 255}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  // IPv4 carried inside IPv6 (URL parsers print ::ffff:127.0.0.1 as ::ffff:7f00:1): judge the IPv4.
  if (zeros(0, 5) && (words[5] === 0xffff || words[5] === 0)) return isPrivateAddress(v4At(6));
  if (words[0] === 0x64 && words[1] === 0xff9b) return words[2] !== 0 || isPrivateAddress(v4At(6)); // NAT64, local-use NAT64
  if (words[0] === 0x2002) return isPrivateAddress(v4At(1)); // 6to4
  if (words[0] === 0x0100 && zeros(1, 4)) return true; // discard-only
  if (words[0] === 0x2001 && words[1] === 0x0db8) return true; // documentation
  return (words[0] & 0xfe00) === 0xfc00 || (words[0] & 0xffc0) === 0xfe80 || (words[0] & 0xffc0) === 0xfec0 || (words[0] & 0xff00) === 0xff00;
}

/** The eight 16-bit words of an IPv6 address (with or without a dotted IPv4 tail), or undefined. */
function v6Words(ip: string): number[] | undefined {
  const address = ip.toLowerCase().replace(/%.*$/, '');
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4ToInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const words = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
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
