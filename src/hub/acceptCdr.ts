// A CPO posts a CDR. It is validated, stored (immutable) and appended to JetStream for its eMSP
// before the CPO hears 1000; the answer carries a Location header pointing at the hub's copy.
import type { HubDeps } from '../deps.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import { pushFindings, type OcpiPushMessage, type PartyRef } from '../bus/messages.ts';
import { partyKey } from '../bus/subjects.ts';
import { InvalidParametersError } from '../errors.ts';
import { parseOcpi } from '../http/parseBody.ts';
import { contentHash } from '../store/cdrs.ts';
import { openRoutingOwner, statedTokenOwner } from './ownership.ts';
import { decideRoute } from './routing.ts';
import { cdrMessageId, cdrObjectKey, publishPush } from './publishPush.ts';
import { routeError } from './routeErrors.ts';
import { senderParty } from './senderParty.ts';
import { cdrContext } from './cdrContext.ts';
import { cdrPolicy } from './cdrPolicy.ts';
import { refuseWithoutAgreement } from './agreementPolicy.ts';
import { validateCdr, type CdrFinding, type CdrInput } from '../../ocpi/tariffs/index.ts';

type Json = Record<string, unknown>;

export interface CdrRequest {
  body: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  requestId: string;
  correlationId: string;
}

export interface CdrOutcome {
  created: boolean;
  countryCode: string;
  partyId: string;
  id: string;
  receiver: PartyRef;
  findings: CdrFinding[];
}

/** Nats-Msg-Id of a CDR: one per CDR and receiver, so re-publishing a stored CDR never duplicates. */

export async function acceptCdr(deps: HubDeps, request: CdrRequest): Promise<CdrOutcome> {
  const cdr = parseOcpi<Json>('cdr', request.body);
  const owner = { country_code: String(cdr.country_code), party_id: String(cdr.party_id) };
  const sender = await senderParty(deps, request.caller, owner, ['CPO'], request.routing);

  const token = (cdr.cdr_token ?? {}) as Json;
  const parties = await deps.directory.all();
  const decision = decideRoute({
    module: 'cdrs',
    kind: 'push',
    receiverInterface: 'RECEIVER',
    hub: { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID },
    sender,
    to: request.routing.to && { country_code: request.routing.to.countryCode, party_id: request.routing.to.partyId },
    owner: request.routing.to ? undefined : await openRoutingOwner(deps.db, token, parties),
    claimedOwner: statedTokenOwner(token),
    parties,
  });
  if (!decision.ok) throw routeError(decision);
  const receiver = decision.receivers[0];
  const receiverRef = { country_code: receiver.country_code, party_id: receiver.party_id };

  await refuseWithoutAgreement(deps, cdr, receiverRef);

  const receiverKey = partyKey(receiver.country_code, receiver.party_id);
  const findings = validateCdr(cdr as unknown as CdrInput, await cdrContext(deps.db, cdr, receiverKey));
  await enforcePolicy(deps, request.caller, findings);

  const { row, inserted } = await deps.cdrWriter.insert({
    countryCode: owner.country_code,
    partyId: owner.party_id,
    id: String(cdr.id),
    data: cdr,
    receiver: receiverKey,
    routing: decision.mode,
    validation: findings,
    lastUpdated: String(cdr.last_updated),
  });
  // The id is a CiString: `cdr1` POSTed after `CDR1` is that CDR again, identical when its content
  // is with the stored spelling of the id.
  if (!inserted && row.content_hash !== contentHash(cdr) && row.content_hash !== contentHash({ ...cdr, id: row.cdr_id })) {
    throw new InvalidParametersError(`CDR ${owner.country_code}-${owner.party_id}-${cdr.id} exists with different content: CDRs are immutable, send a credit CDR to correct one`, [
      { path: 'id', message: 'a different CDR with this id was already accepted' },
    ]);
  }
  // A duplicate of a CDR whose first publish was confirmed is not sent again; one whose publish
  // may not have happened (crash in between) is published again under the same message id.
  if (!row.published) {
    const senderRef = { country_code: sender.country_code, party_id: sender.party_id };
    const message: OcpiPushMessage = {
      module: 'cdrs',
      event: 'post',
      path: [],
      body: cdr,
      // The stored spelling: a duplicate published again carries the first one's message id, which JetStream drops.
      object_key: cdrObjectKey(owner.country_code, owner.party_id, row.cdr_id),
      sender: senderRef,
      from: senderRef,
      receiver: receiverRef,
      routing: decision.mode,
      request_id: request.requestId,
      correlation_id: request.correlationId,
      accepted_at: new Date().toISOString(),
      findings: pushFindings(findings),
    };
    await publishPush(deps, [message], cdrMessageId);
    deps.cdrWriter.markPublished(row.seq);
  }
  return { created: inserted, countryCode: owner.country_code, partyId: owner.party_id, id: row.cdr_id, receiver: receiverRef, findings };
}

/**
 * Business-rule findings flag a CDR and do not stop it, unless the sender's platform policy says
 * `reject`: then any error-severity finding refuses the CDR with 2001 and nothing is stored.
 */
async function enforcePolicy(deps: HubDeps, caller: Caller, findings: CdrFinding[]): Promise<void> {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  if ((await cdrPolicy(deps, caller.platform.id)) !== 'reject') return;
  throw new InvalidParametersError(
    `CDR refused by policy: ${errors.map((f) => `${f.rule}${f.path ? ` (${f.path})` : ''}: ${f.message}`).join('; ')}`,
    errors.map((f) => ({ path: f.path ?? f.rule, message: f.message })),
  );
}
