// Asynchronous results through the hub (Commands and ChargingProfiles). The requester's
// response_url is replaced by a hub URL naming a stored callback; the responder later POSTs its
// result there and the hub relays it to the original response_url, FROM the responder TO the
// requester, with the correlation id of the original request.
import { randomUUID } from 'node:crypto';
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { PartyRef } from '../../bus/messages.ts';
import { partyKey } from '../../bus/subjects.ts';
import { validate, describeErrors, type OcpiTypeName } from '../../../ocpi/validate.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';
import { HubError, InvalidParametersError, NotFoundError, ReceiverNotConnectedError } from '../../errors.ts';
import { assertPartnerUrl } from '../../partners/urlGuard.ts';
import { OCPI_VERSION } from '../../http/modules/versions/endpoints.ts';
import { exchange, type Relayed } from '../forwardSync.ts';

export type CallbackModule = 'commands' | 'chargingprofiles';

/** What a responder may POST to a callback of each module. */
const resultTypes: Record<CallbackModule, OcpiTypeName[]> = {
  commands: ['command_result'],
  chargingprofiles: ['active_charging_profile_result', 'charging_profile_result', 'clear_profile_result'],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const keyOf = (p: PartyRef) => partyKey(p.country_code, p.party_id);

/** 2001 unless the requester's response_url is an acceptable partner URL (SSRF guard). */
export async function checkResponseUrl(deps: HubDeps, responseUrl: unknown): Promise<string> {
  if (typeof responseUrl !== 'string' || !responseUrl) throw new InvalidParametersError('response_url is required', [{ path: 'response_url', message: 'required' }]);
  await assertPartnerUrl(responseUrl, 'response_url', deps.config.ALLOW_PRIVATE_PARTNER_URLS);
  return responseUrl;
}

export interface NewCallback {
  module: CallbackModule;
  responseUrl: string;
  requester: PartyRef;
  responder: PartyRef;
  correlationId: string;
}

/** Stores the original response_url and returns the hub URL the responder is given instead. */
export async function registerCallback(deps: HubDeps, callback: NewCallback): Promise<string> {
  const id = randomUUID();
  await deps.db('callbacks').insert({
    id,
    module: callback.module,
    response_url: callback.responseUrl,
    requester: keyOf(callback.requester),
    responder: keyOf(callback.responder),
    correlation_id: callback.correlationId,
  });
  return `${deps.config.HUB_PUBLIC_URL}/ocpi/${OCPI_VERSION}/callbacks/${callback.module}/${id}`;
}

export interface CallbackResult {
  module: CallbackModule;
  id: string;
  body: unknown;
  caller: Caller;
  log?: Logger;
}

/**
 * Relays a result POSTed to a hub callback URL. Only a party of the responder's platform may post
 * it; an unknown or foreign id is 404 / 2001 and nothing is forwarded. A later result for the same
 * callback (a CPO canceling a reservation, an update) is relayed too.
 */
export async function relayCallback(deps: HubDeps, result: CallbackResult): Promise<Relayed> {
  const log = result.log ?? deps.log;
  const row = UUID.test(result.id) ? await deps.db('callbacks').where({ id: result.id, module: result.module }).first() : undefined;
  const own = await deps.directory.ofPlatform(result.caller.platform.id);
  const responder = row && own.find((p) => keyOf(p) === row.responder);
  if (!row || !responder) throw new NotFoundError(`unknown ${result.module} callback ${result.id.slice(0, 40)}`, OcpiStatus.InvalidParameters);
  checkResult(result.module, result.body);

  const requester = (await deps.directory.all()).find((p) => keyOf(p) === row.requester && p.platformState === 'REGISTERED' && p.status !== 'SUSPENDED');
  if (!requester) throw new ReceiverNotConnectedError(`the requester ${row.requester} is no longer connected`);
  try {
    await assertPartnerUrl(row.response_url, 'response_url', deps.config.ALLOW_PRIVATE_PARTNER_URLS);
  } catch {
    throw new HubError(`the requester's response_url is no longer an acceptable address`, OcpiStatus.HubError);
  }
  if (row.completed_at) log.info({ callback: row.id, completedAt: row.completed_at }, 'callback already relayed once: relaying a further result');

  const relayed = await exchange(deps, { method: 'POST', module: result.module, event: 'result', url: row.response_url, body: result.body, correlationId: row.correlation_id, sender: responder, receiver: requester, log });
  await deps.db('callbacks').where({ id: row.id }).whereNull('completed_at').update({ completed_at: deps.db.fn.now() });
  return relayed;
}

/** The body must be one of the module's result types; 2001 naming the fields otherwise. */
function checkResult(module: CallbackModule, body: unknown): void {
  if (body === undefined) throw new InvalidParametersError('a result object is required in the request body', [{ path: '$', message: 'request body missing' }]);
  const results = resultTypes[module].map((type) => ({ type, result: validate(type, body) }));
  if (results.some((r) => r.result.ok)) return;
  const first = results[0];
  const errors = first.result.ok ? [] : first.result.errors;
  throw new InvalidParametersError(describeErrors(first.type, errors), errors);
}
