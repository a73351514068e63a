// Outbound OCPI calls: every request the hub makes to a partner goes through here, so headers
// (Authorization in the partner's encoding, a fresh X-Request-ID, the caller's X-Correlation-ID,
// routing headers) and timeouts are done one way.
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../partners/urlGuard.ts';
import { encodeAuthorization, type TokenEncoding } from '../../ocpi/authorization.ts';
import { OutgoingHeader } from '../../ocpi/headers.ts';
import type { Envelope } from '../../ocpi/envelope.ts';

export interface PartyAddress {
  countryCode: string;
  partyId: string;
}

export interface OcpiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  token: string;
  encoding: TokenEncoding;
  body?: unknown;
  correlationId?: string;
  from?: PartyAddress;
  to?: PartyAddress;
  timeoutMs: number;
  extraHeaders?: Record<string, string>;
  /**
   * Whether the partner may sit on a loopback or private address (ALLOW_PRIVATE_PARTNER_URLS).
   * Otherwise every new connection checks the addresses its host name resolves to right then, so a
   * name that passed the check at registration cannot be re-pointed inside our network later.
   */
  allowPrivate: boolean;
}

/**
 * Replies are held in memory whole, so a partner streaming without end could exhaust the hub's
 * memory within the timeout. Generous for a page of Locations (1000 with EVSEs are a few MB).
 */
export const MAX_REPLY_BYTES = 32 * 1024 * 1024;

/** Response headers by case-insensitive name (a WHATWG Headers per delivery costs more than the rest of the reply). */
export interface ReplyHeaders {
  get(name: string): string | null;
}

export interface OcpiReply {
  httpStatus: number;
  requestId: string;
  envelope: Envelope | undefined;
  headers: ReplyHeaders;
  rawBody: string;
}

/** The partner could not be reached or did not answer in time. */
export class PartnerUnreachableError extends Error {
  override name = 'PartnerUnreachableError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function ocpiRequest(request: OcpiRequest): Promise<OcpiReply> {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    [OutgoingHeader.Authorization]: encodeAuthorization(request.token, request.encoding),
    [OutgoingHeader.RequestId]: requestId,
    [OutgoingHeader.CorrelationId]: request.correlationId ?? randomUUID(),
    Accept: 'application/json',
    ...request.extraHeaders,
  };
  if (request.from) {
    headers[OutgoingHeader.FromCountryCode] = request.from.countryCode;
    headers[OutgoingHeader.FromPartyId] = request.from.partyId;
  }
  if (request.to) {
    headers[OutgoingHeader.ToCountryCode] = request.to.countryCode;
    headers[OutgoingHeader.ToPartyId] = request.to.partyId;
  }
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['Content-Type'] = 'application/json';
  }
  try {
    const response = await send(request.url, request.method, headers, body, request.timeoutMs, request.allowPrivate);
    return { httpStatus: response.status, requestId, envelope: parseEnvelope(response.body), headers: response.headers, rawBody: response.body };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    const tooLarge = err instanceof Error && err.name === 'ReplyTooLargeError';
    const what = timedOut ? `timed out after ${request.timeoutMs} ms` : tooLarge ? err.message : 'could not be reached';
    throw new PartnerUnreachableError(`${request.method} ${request.url} ${what}`, timedOut, { cause: err });
  }
}

// Keep-alive connections per partner: deliveries are many small requests to few hosts. Sockets
// to partners that must be public resolve through the guarded lookup.
const agentOptions = { keepAlive: true, maxSockets: 64 };
const agents = {
  open: { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) },
  guarded: { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) },
};

/** dns.lookup that refuses host names resolving to loopback, private, link-local … addresses. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) {
      const error = Object.assign(new Error(`${hostname} now resolves to ${refused.address}, a loopback, private or reserved address`), { code: 'EPRIVATEADDRESS' });
      return callback(error, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
};

/** One HTTP exchange with a whole-request timeout. Redirects are not followed (a partner URL is an endpoint, not a hint). */
function send(url: string, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number, allowPrivate: boolean): Promise<{ status: number; headers: ReplyHeaders; body: string }> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = (allowPrivate ? agents.open : agents.guarded)[target.protocol as 'http:' | 'https:'];
  // An address literal is never looked up, so it is checked here.
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(literal) && isPrivateAddress(literal)) return Promise.reject(new Error(`${literal} is a loopback, private or reserved address`));
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      { method, headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, agent, lookup: allowPrivate ? undefined : publicOnlyLookup },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_REPLY_BYTES) return void chunks.push(chunk);
          chunks.length = 0;
          clearTimeout(timer);
          const error = new Error(`answered more than ${MAX_REPLY_BYTES} bytes`);
          error.name = 'ReplyTooLargeError';
          req.destroy(error);
          reject(error);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const raw = res.headers;
          const get = (name: string) => {
            const value = raw[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          };
          resolve({ status: res.statusCode ?? 0, headers: { get }, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

function parseEnvelope(raw: string): Envelope | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    if (value && typeof value === 'object' && typeof (value as Envelope).status_code === 'number') return value as Envelope;
  } catch {
    // Not JSON: the caller decides what a missing envelope means.
  }
  return undefined;
}
