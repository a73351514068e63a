// Reading a partner's versions and version details: the part of every handshake where the hub
// calls the partner. Errors map to the registration status codes (3001, 3002, 3003).
import type { TokenEncoding } from '../../ocpi/authorization.ts';
import { ClientApiError, NoMatchingEndpointsError, UnsupportedVersionError } from '../errors.ts';
import { ocpiRequest, PartnerUnreachableError, type OcpiReply } from '../hub/ocpiClient.ts';
import type { Endpoint } from '../store/platforms.ts';
import { assertPartnerUrl } from './urlGuard.ts';

export const SUPPORTED_VERSION = '2.2.1';

const MAX_URL_LENGTH = 255;

export interface PartnerVersions {
  version: string;
  endpoints: Endpoint[];
  encoding: TokenEncoding;
}

export interface FetchOptions {
  versionsUrl: string;
  token: string;
  encoding?: TokenEncoding;
  allowPrivate: boolean;
  timeoutMs: number;
}

/**
 * GETs the partner's versions and the 2.2.1 details. When the partner refuses our Base64 token with
 * 401 and no encoding was imposed, it is tried once unencoded (2.1.1-era partners) and the working
 * encoding is returned so it can be remembered for this partner.
 */
export async function fetchPartnerVersions(options: FetchOptions): Promise<PartnerVersions> {
  await assertPartnerUrl(options.versionsUrl, 'url', options.allowPrivate);
  const encodings: TokenEncoding[] = options.encoding ? [options.encoding] : ['base64', 'plain'];
  let versions: OcpiReply | undefined;
  let encoding: TokenEncoding = encodings[0];
  for (encoding of encodings) {
    versions = await get(options.versionsUrl, options.token, encoding, options.timeoutMs, options.allowPrivate);
    if (versions.httpStatus !== 401) break;
  }
  const list = successData(versions!, 'versions');
  if (!Array.isArray(list)) throw new ClientApiError('versions endpoint did not return a list of versions');
  const match = list.find((v): v is { version: string; url: string } => !!v && typeof v === 'object' && (v as { version?: unknown }).version === SUPPORTED_VERSION);
  if (!match || typeof match.url !== 'string') {
    const offered = list.map((v) => (v as { version?: unknown })?.version).join(', ') || 'none';
    throw new UnsupportedVersionError(`no mutual OCPI version: the hub speaks ${SUPPORTED_VERSION}, the partner offers ${offered}`);
  }
  await assertPartnerUrl(match.url, 'versions[].url', options.allowPrivate);
  const details = successData(await get(match.url, options.token, encoding, options.timeoutMs, options.allowPrivate), 'version details') as { endpoints?: unknown };
  const endpoints = parseEndpoints(details?.endpoints);
  for (const [i, endpoint] of endpoints.entries()) await assertPartnerUrl(endpoint.url, `endpoints[${i}].url`, options.allowPrivate);
  if (!endpoints.some((e) => e.identifier === 'credentials')) throw new NoMatchingEndpointsError('the partner lists no credentials endpoint');
  if (!endpoints.some((e) => e.identifier !== 'credentials')) throw new NoMatchingEndpointsError('the partner lists no functional module the hub can exchange');
  return { version: SUPPORTED_VERSION, endpoints, encoding };
}

async function get(url: string, token: string, encoding: TokenEncoding, timeoutMs: number, allowPrivate: boolean): Promise<OcpiReply> {
  try {
    return await ocpiRequest({ method: 'GET', url, token, encoding, timeoutMs, allowPrivate });
  } catch (err) {
    if (err instanceof PartnerUnreachableError) throw new ClientApiError(`unable to use the partner's API: ${err.message}`, { cause: err });
    throw err;
  }
}

function successData(reply: OcpiReply, what: string): unknown {
  if (reply.httpStatus !== 200 || !reply.envelope) throw new ClientApiError(`unable to use the partner's API: GET ${what} answered HTTP ${reply.httpStatus}`);
  if (reply.envelope.status_code !== 1000) throw new ClientApiError(`unable to use the partner's API: GET ${what} answered OCPI ${reply.envelope.status_code}`);
  return reply.envelope.data;
}

function parseEndpoints(value: unknown): Endpoint[] {
  if (!Array.isArray(value)) throw new ClientApiError('version details carry no endpoints list');
  return value.map((raw, i) => {
    const e = raw as Partial<Endpoint>;
    if (typeof e?.identifier !== 'string' || (e.role !== 'SENDER' && e.role !== 'RECEIVER') || typeof e.url !== 'string') {
      throw new ClientApiError(`version details endpoints[${i}] is not an Endpoint {identifier, role, url}`);
    }
    // OCPI's URL is a string(255). Held to it: every forward to the partner works on this string,
    // and a megabyte of it (slashes, say) made that work take seconds per request.
    if (e.url.length > MAX_URL_LENGTH) throw new ClientApiError(`version details endpoints[${i}].url is longer than ${MAX_URL_LENGTH} characters`);
    return { identifier: e.identifier, role: e.role, url: e.url };
  });
}

export function endpointUrl(endpoints: Endpoint[], identifier: string, role?: 'SENDER' | 'RECEIVER'): string | undefined {
  // `credentials` has no meaningful role (version_information_endpoint.asciidoc): take the first.
  return endpoints.find((e) => e.identifier === identifier && (role === undefined || e.role === role))?.url;
}
