// Outbound OCPI calls: every request the hub makes to a partner goes through here, so headers
// (Authorization in the partner's encoding, a fresh X-Request-ID, the caller's X-Correlation-ID,
// routing headers) and timeouts are done one way.
import { randomUUID } from 'node:crypto';
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
}

export interface OcpiReply {
  httpStatus: number;
  requestId: string;
  envelope: Envelope | undefined;
  headers: Headers;
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
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const what = timedOut ? `timed out after ${request.timeoutMs} ms` : 'could not be reached';
    throw new PartnerUnreachableError(`${request.method} ${request.url} ${what}`, timedOut, { cause: err });
  }
  const rawBody = await response.text();
  return { httpStatus: response.status, requestId, envelope: parseEnvelope(rawBody), headers: response.headers, rawBody };
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
