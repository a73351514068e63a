// Relaying a stored result (CommandResult, charging profile results) to the requester's own
// response_url: one attempt over HTTP, what its answer means (relayed, refused by the requester,
// try again) and, for a retry, when. The web role makes the first attempt while the CPO waits; the
// worker role (callbackRelayWorker) makes the later ones. Each attempt is recorded on its
// callback_relays row, so a restart loses nothing.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Config } from '../../config.ts';
import type { PartyRef } from '../../bus/messages.ts';
import { partyKey } from '../../bus/subjects.ts';
import { assertPartnerUrl } from '../../partners/urlGuard.ts';
import { HubError } from '../../errors.ts';
import { exchange, UnrelayableAnswerError, type Relayed } from '../forwardSync.ts';
import type { DirectoryParty } from '../partyDirectory.ts';
import { backoffDelay, classifyReply, parseRetryAfter, type BackoffOptions, type DeliveryVerdict } from '../delivery/retryPolicy.ts';

/** A row of `callbacks`: the requester's response_url the hub stands in for. */
export interface CallbackRow {
  id: string;
  module: string;
  response_url: string;
  requester: string;
  responder: string;
  correlation_id: string;
  created_at: Date;
  completed_at: Date | null;
  expires_at: Date | null;
}

/** A row of `callback_relays`: one result on its way to the requester. */
export interface RelayRow {
  id: string;
  callback_id: string;
  body: unknown;
  attempts: number;
  received_at: Date;
}

export interface RelayAttempt {
  verdict: DeliveryVerdict;
  /** The requester's answer as the responder would get it, when it gave one in an OCPI envelope. */
  relayed?: Relayed;
  responder: PartyRef;
}

/** How long an attempt holds its relay: the request timeout and a margin (another process takes over after it). */
export const claimLeaseS = (config: Pick<Config, 'FORWARD_TIMEOUT_MS'>): number => Math.ceil(config.FORWARD_TIMEOUT_MS / 1000) + 30;

const keyOf = (p: PartyRef) => partyKey(p.country_code, p.party_id);

/** The requester as the directory knows it, when it is a registered party (possibly suspended). */
export async function registeredRequester(deps: HubDeps, callback: Pick<CallbackRow, 'requester'>): Promise<DirectoryParty | undefined> {
  return (await deps.directory.all()).find((p) => keyOf(p) === callback.requester && p.platformState === 'REGISTERED');
}

/**
 * One attempt: POST the result to the requester's response_url with the requester's token, FROM the
 * responder TO the requester, the original X-Correlation-ID and a new X-Request-ID (exchange, the
 * same leg as every synchronous forward). Whatever keeps the result from being taken now (the
 * requester suspended or unregistered, unreachable, a timeout, 5xx, 429, a refusal of the hub's
 * token, an answer without an OCPI envelope) is a retry, after the Retry-After of a 429 when it
 * gives one; only the requester's own 2xxx refuses it for good.
 */
export async function attemptRelay(deps: HubDeps, callback: CallbackRow, body: unknown, log: Logger): Promise<RelayAttempt> {
  const parties = await deps.directory.all();
  const responder: PartyRef = parties.find((p) => keyOf(p) === callback.responder) ?? partyOfKey(callback.responder);
  const requester = parties.find((p) => keyOf(p) === callback.requester && p.platformState === 'REGISTERED');
  const retry = (reason: string): RelayAttempt => ({ verdict: { kind: 'retry', reason }, responder });
  if (!requester) return retry('requester not registered');
  if (requester.status === 'SUSPENDED') return retry('requester suspended');
  try {
    await assertPartnerUrl(callback.response_url, 'response_url', deps.config.ALLOW_PRIVATE_PARTNER_URLS);
  } catch {
    return retry('response_url is not an acceptable address now');
  }
  let relayed: Relayed;
  try {
    relayed = await exchange(deps, {
      method: 'POST',
      module: callback.module,
      event: 'result',
      url: callback.response_url,
      body,
      correlationId: callback.correlation_id,
      sender: responder,
      receiver: requester,
      log,
    });
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    // A 429 from whatever answers for the requester (no envelope) still says when to come back.
    if (err instanceof UnrelayableAnswerError && err.answer.httpStatus === 429) {
      return { verdict: { kind: 'retry', reason: err.message, retryAfterMs: parseRetryAfter(err.answer.retryAfter) }, responder };
    }
    return retry(err.message);
  }
  return { verdict: classifyReply({ httpStatus: relayed.httpStatus, ocpiStatus: relayed.body.status_code, retryAfter: relayed.retryAfter }), relayed, responder };
}

export type RelayStep =
  | { state: 'relayed' }
  | { state: 'refused'; reason: string }
  | { state: 'expired'; reason: string }
  | { state: 'pending'; reason: string; nextAttemptAt: Date };

/**
 * What becomes of a relay after an attempt (pure). `attempts` counts this one. A retry waits the
 * requester's Retry-After or the backoff, but never past the horizon: the last attempt is made at
 * the horizon, and a failure after it ends the relay.
 */
export function nextStep(
  verdict: DeliveryVerdict,
  relay: { attempts: number; receivedAt: Date },
  options: { horizonMs: number; backoff: BackoffOptions; now?: Date; random?: () => number },
): RelayStep {
  if (verdict.kind === 'delivered') return { state: 'relayed' };
  if (verdict.kind === 'rejected') return { state: 'refused', reason: verdict.reason };
  const now = options.now ?? new Date();
  const horizon = relay.receivedAt.getTime() + options.horizonMs;
  if (now.getTime() >= horizon) return { state: 'expired', reason: verdict.reason };
  const delay = verdict.retryAfterMs ?? backoffDelay(relay.attempts, options.backoff, options.random);
  return { state: 'pending', reason: verdict.reason, nextAttemptAt: new Date(Math.min(now.getTime() + Math.max(delay, 50), horizon)) };
}

/** Records an attempt on the relay (and the callback's first completion); returns what became of it. */
export async function settleRelay(deps: HubDeps, callback: CallbackRow, relay: RelayRow, attempt: RelayAttempt, log: Logger): Promise<RelayStep> {
  const attempts = relay.attempts + 1;
  const step = nextStep(attempt.verdict, { attempts, receivedAt: new Date(relay.received_at) }, {
    horizonMs: deps.config.CALLBACK_RELAY_HORIZON_S * 1000,
    backoff: { baseMs: deps.config.DELIVERY_BACKOFF_BASE_MS, maxMs: deps.config.DELIVERY_BACKOFF_MAX_MS },
  });
  const finished = step.state !== 'pending';
  await deps.db('callback_relays')
    .where({ id: relay.id })
    .update({
      state: step.state,
      attempts,
      last_error: step.state === 'relayed' ? null : step.reason,
      ...(step.state === 'pending' ? { next_attempt_at: step.nextAttemptAt } : {}),
      ...(finished ? { finished_at: deps.db.fn.now() } : {}),
    });
  if (step.state === 'relayed') await deps.db('callbacks').where({ id: callback.id }).whereNull('completed_at').update({ completed_at: deps.db.fn.now() });
  const facts = { callback: callback.id, relay: relay.id, module: callback.module, requester: callback.requester, attempts, httpStatus: attempt.relayed?.httpStatus, ocpiStatus: attempt.relayed?.body.status_code };
  if (step.state === 'relayed') log.info(facts, 'callback result relayed');
  else if (step.state === 'pending') log.info({ ...facts, reason: step.reason, nextAttemptAt: step.nextAttemptAt }, 'callback result not taken: retrying');
  else log.warn({ ...facts, reason: step.reason }, step.state === 'refused' ? 'callback result refused by the requester' : 'callback result given up at the horizon');
  return step;
}

/** A party key of plain letters and digits back to its parts (a party the directory no longer lists). */
export function partyOfKey(key: string): PartyRef {
  const [country_code = '', party_id = ''] = key.split('-');
  return { country_code, party_id };
}
