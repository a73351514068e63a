// Asynchronous results through the hub (Commands and ChargingProfiles). The requester's
// response_url is replaced by a hub URL naming a stored callback; the responder later POSTs its
// result there and the hub relays it to the original response_url, FROM the responder TO the
// requester, with the correlation id of the original request. The result is stored before it is
// relayed (callback_relays): when the requester does not take it at once, the worker role retries
// with backoff until CALLBACK_RELAY_HORIZON_S, across restarts (callbackRelay, callbackRelayWorker).
import { randomUUID } from 'node:crypto';
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { PartyRef } from '../../bus/messages.ts';
import { partyKey } from '../../bus/subjects.ts';
import { validate, describeErrors, type OcpiTypeName } from '../../../ocpi/validate.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';
import { InvalidParametersError, NotFoundError, ReceiverNotConnectedError } from '../../errors.ts';
import { assertPartnerUrl } from '../../partners/urlGuard.ts';
import { OCPI_VERSION } from '../../http/modules/versions/endpoints.ts';
import { OutgoingHeader } from '../../../ocpi/headers.ts';
import { success, toOcpiDateTime } from '../../../ocpi/envelope.ts';
import { notForwarded, type Relayed } from '../forwardSync.ts';
import { applyCommandResult } from './reservations.ts';
import { attemptRelay, claimLeaseS, partyOfKey, registeredRequester, settleRelay, type CallbackRow, type RelayRow } from './callbackRelay.ts';

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
  /** Results are expected until then (a reservation's expiry_date); the callback lives CALLBACK_TTL_HOURS past it. */
  resultsUntil?: Date;
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
    expires_at: callbackExpiry(deps.config.CALLBACK_TTL_HOURS, callback.resultsUntil),
  });
  return `${deps.config.HUB_PUBLIC_URL}/ocpi/${OCPI_VERSION}/callbacks/${callback.module}/${id}`;
}

/** The callback id in a hub callback URL registerCallback made (pure). */
export const callbackIdOf = (hubUrl: string): string => hubUrl.slice(hubUrl.lastIndexOf('/') + 1);

/** When a callback stops taking results (pure): the TTL after now, or after resultsUntil when later. */
export function callbackExpiry(ttlHours: number, resultsUntil?: Date, now = new Date()): Date {
  const until = resultsUntil && Number.isFinite(resultsUntil.getTime()) ? Math.max(resultsUntil.getTime(), now.getTime()) : now.getTime();
  return new Date(until + ttlHours * 3_600_000);
}

export interface CallbackResult {
  module: CallbackModule;
  id: string;
  body: unknown;
  caller: Caller;
  log?: Logger;
}

/**
 * Takes a result POSTed to a hub callback URL. Only a party of the responder's platform may post
 * it; an unknown, foreign or expired id is 404 / 2001 and nothing is stored or forwarded; a
 * requester that is no longer registered is 4003. Otherwise the result is stored and relayed:
 * when the requester takes it (or refuses it with its own 2xxx) at once, the responder gets the
 * requester's answer; when it cannot be relayed now, the responder gets 1000 from the hub (the hub
 * has it and retries). A later result for the same callback (a CPO canceling a reservation, an
 * update) is relayed too, after the ones before it.
 */
export async function relayCallback(deps: HubDeps, result: CallbackResult): Promise<Relayed> {
  const log = result.log ?? deps.log;
  const row: CallbackRow | undefined = UUID.test(result.id) ? await deps.db('callbacks').where({ id: result.id, module: result.module }).first() : undefined;
  const own = await deps.directory.ofPlatform(result.caller.platform.id);
  const responder = row && own.find((p) => keyOf(p) === row.responder);
  if (!row || !responder) throw new NotFoundError(`unknown ${result.module} callback ${result.id.slice(0, 40)}`, OcpiStatus.InvalidParameters);
  if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) {
    throw new NotFoundError(`${result.module} callback ${row.id} expired at ${toOcpiDateTime(new Date(row.expires_at))}`, OcpiStatus.InvalidParameters);
  }
  checkResult(result.module, result.body);
  const requester = await registeredRequester(deps, row);
  if (!requester) {
    const error = new ReceiverNotConnectedError(`the requester ${row.requester} is no longer connected`);
    throw notForwarded(deps, { module: row.module, event: 'result', sender: responder, receiver: partyOfKey(row.requester) }, error);
  }
  if (row.completed_at) log.info({ callback: row.id, completedAt: row.completed_at }, 'callback already relayed once: relaying a further result');

  const relay = await storeRelay(deps, row.id, result.body);
  if (row.module === 'commands') await noteReservationResult(deps, row.id, log);
  if (!relay.first) {
    log.info({ callback: row.id, relay: relay.row.id }, 'callback result queued behind an earlier one');
    return taken(row, responder, requester, 'queued behind an earlier result for this request');
  }
  const attempt = await attemptRelay(deps, row, result.body, log);
  const step = await settleRelay(deps, row, relay.row, attempt, log);
  if ((step.state === 'relayed' || step.state === 'refused') && attempt.relayed) return attempt.relayed;
  if (step.state === 'expired') throw new ReceiverNotConnectedError(`the requester ${row.requester} did not take the result`);
  return taken(row, responder, requester, 'the requester did not take it now; the hub retries');
}

/**
 * What the result says about a reservation the hub remembers for open routing (reservations). The
 * result is stored already and is the requester's in any case: a failure here is logged, not the
 * responder's to see (it would post the result again, and the requester get it twice).
 */
async function noteReservationResult(deps: HubDeps, callbackId: string, log: Logger): Promise<void> {
  try {
    await applyCommandResult(deps.db, callbackId);
  } catch (err) {
    log.error({ err, callback: callbackId }, 'reservation state not updated from a command result');
  }
}

/**
 * Stores a result for relaying. The first pending result of its callback is held for the caller's
 * own attempt (next_attempt_at past the attempt's timeout); one behind an earlier pending result is
 * left to the worker, which relays a callback's results one at a time, oldest first.
 */
async function storeRelay(deps: HubDeps, callbackId: string, body: unknown): Promise<{ row: RelayRow; first: boolean }> {
  return deps.db.transaction(async (trx) => {
    await trx('callbacks').where({ id: callbackId }).forUpdate().first('id');
    const earlier = await trx('callback_relays').where({ callback_id: callbackId, state: 'pending' }).first('id');
    const [row] = await trx('callback_relays')
      .insert({
        callback_id: callbackId,
        body: JSON.stringify(body),
        next_attempt_at: earlier ? trx.fn.now() : trx.raw('now() + make_interval(secs => ?)', [claimLeaseS(deps.config)]),
      })
      .returning(['id', 'callback_id', 'body', 'attempts', 'received_at']);
    return { row: row as RelayRow, first: !earlier };
  });
}

/** The hub's own answer to the responder for a result it keeps and relays later: 1000, data omitted (SPEC-DIGEST §1.3). */
function taken(row: CallbackRow, responder: PartyRef, requester: PartyRef, why: string): Relayed {
  return {
    httpStatus: 200,
    body: success(undefined, `result taken by the hub for ${row.requester}: ${why}`),
    headers: {
      [OutgoingHeader.ToCountryCode]: responder.country_code,
      [OutgoingHeader.ToPartyId]: responder.party_id,
      [OutgoingHeader.FromCountryCode]: requester.country_code,
      [OutgoingHeader.FromPartyId]: requester.party_id,
    },
  };
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
