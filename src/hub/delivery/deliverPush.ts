// One delivery attempt of an accepted push to its receiver, over HTTP.
import type { HubDeps } from '../../deps.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import { PartnerUnreachableError } from '../ocpiClient.ts';
import { platformAuth, requestWithPlatformAuth } from '../platformAuth.ts';
import { classifyReply, type DeliveryVerdict } from './retryPolicy.ts';
import { trimTrailingSlashes } from '../../trimTrailingSlashes.ts';

const methodOf = { put: 'PUT', patch: 'PATCH', post: 'POST', delete: 'DELETE' } as const;

/** Configuration modules are exchanged without routing headers (SPEC-DIGEST §2.2). */
const CONFIGURATION_MODULES = new Set(['hubclientinfo', 'credentials']);

export interface Attempt {
  verdict: DeliveryVerdict;
  httpStatus?: number;
  ocpiStatus?: number;
  latencyMs: number;
}

export async function deliverPush(deps: HubDeps, message: OcpiPushMessage): Promise<Attempt> {
  const started = performance.now();
  const receiver = message.receiver && (await deps.directory.receiverOf(message.receiver, message.module));
  const endpoint = receiver?.endpoints.find((e) => e.identifier === message.module && e.role === 'RECEIVER');
  const platform = receiver && (await platformAuth(deps, receiver.platformId));
  if (!receiver || receiver.platformState !== 'REGISTERED' || !endpoint || !platform) {
    return { verdict: { kind: 'retry', reason: 'receiver not registered or without this module' }, latencyMs: 0 };
  }
  const url = [trimTrailingSlashes(endpoint.url), ...message.path.map(encodeURIComponent)].join('/') + (message.query ? `?${message.query}` : '');
  const routed = !CONFIGURATION_MODULES.has(message.module);
  try {
    const reply = await requestWithPlatformAuth(deps, receiver.platformId, platform, {
      method: methodOf[message.event],
      url,
      body: message.body,
      correlationId: message.correlation_id,
      from: routed ? { countryCode: message.from.country_code, partyId: message.from.party_id } : undefined,
      to: routed ? { countryCode: message.receiver!.country_code, partyId: message.receiver!.party_id } : undefined,
      timeoutMs: deps.config.FORWARD_TIMEOUT_MS,
      allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    });
    const verdict = classifyReply({ httpStatus: reply.httpStatus, ocpiStatus: reply.envelope?.status_code, retryAfter: reply.headers.get('retry-after') });
    return { verdict, httpStatus: reply.httpStatus, ocpiStatus: reply.envelope?.status_code, latencyMs: performance.now() - started };
  } catch (err) {
    if (!(err instanceof PartnerUnreachableError)) throw err;
    return { verdict: classifyReply({ error: err.message }), latencyMs: performance.now() - started };
  }
}
