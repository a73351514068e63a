// The credentials module, both directions (SPEC-DIGEST §2.7): a partner registering with the hub
// (POST/PUT/DELETE on the hub's endpoint) and the hub registering with or rotating tokens at a
// partner. Nothing is stored until the partner's side has been read successfully, so a failure
// half-way leaves every existing token working.
import type { HubDeps } from '../deps.ts';
import { ClientApiError, InvalidParametersError, MethodNotAllowedError, UnauthorizedError } from '../errors.ts';
import { ocpiRequest, PartnerUnreachableError } from '../hub/ocpiClient.ts';
import { audit } from '../store/audit.ts';
import {
  addToken,
  createPlatform,
  findPlatform,
  partiesOf,
  PartyTakenError,
  saveRegistration,
  unregisterPlatform,
  type Platform,
  type PartyRole,
  type TokenKind,
} from '../store/platforms.ts';
import { answeredRegistration, replaceAnsweredToken } from '../store/answeredInvites.ts';
import { registrationFingerprint } from './registrationRetry.ts';
import { fetchPartnerVersions, endpointUrl } from './partnerVersions.ts';
import { announceClientInfo, sendClientInfoTo } from '../hub/clientInfoPush.ts';
import { forgetPlatformAuth } from '../hub/platformAuth.ts';
import { planParties, type PlannedParty } from '../store/partyStatus.ts';
import { decryptToken, encryptToken, hashToken, newToken, sameHash } from './tokenCrypto.ts';
import type { Config } from '../config.ts';
import { parseOcpi } from '../http/parseBody.ts';
import { validate } from '../../ocpi/validate.ts';
import { refuseHubParty } from './hubParty.ts';
import { refuseDuplicateRoles } from './duplicateRoles.ts';
import type { TokenEncoding } from '../../ocpi/authorization.ts';

export interface CredentialsBody {
  token: string;
  url: string;
  roles: PartyRole[];
}

export interface Caller {
  platform: Platform;
  kind: TokenKind;
  tokenHash: string;
  token: string;
}

/** The hub's own Credentials object: the hub reports itself as role HUB only (SPEC-DIGEST §2.5). */
export function hubCredentials(config: Config, token: string): CredentialsBody {
  return {
    token,
    url: `${config.HUB_PUBLIC_URL}/ocpi/versions`,
    roles: [{ role: 'HUB', country_code: config.HUB_COUNTRY_CODE, party_id: config.HUB_PARTY_ID, business_details: { name: config.HUB_NAME } }],
  };
}

/**
 * A token A for a new partner. The parties it is expected to register, when named, are PLANNED in
 * HubClientInfo from now on (and connected platforms hear so); the handshake makes them CONNECTED.
 */
export async function invitePartner(
  deps: HubDeps,
  name: string,
  actor: string,
  parties: readonly PlannedParty[] = [],
): Promise<{ platformId: string; token: string; versionsUrl: string }> {
  const token = newToken();
  const platform = await createPlatform(deps.db, name, hashToken(deps.keys, token));
  let planned;
  try {
    planned = await planParties(deps.db, platform.id, parties, name);
  } catch (err) {
    await deps.db('platforms').where({ id: platform.id }).delete();
    if (err instanceof PartyTakenError) throw new InvalidParametersError(err.message, [{ path: 'parties', message: err.message }]);
    throw err;
  }
  await audit(deps.db, { actor, action: 'partner.invite', subject: platform.id, details: { name, parties: roleNames(parties) } });
  deps.directory.invalidate();
  for (const row of planned) await announceClientInfo(deps, row);
  return { platformId: platform.id, token, versionsUrl: `${deps.config.HUB_PUBLIC_URL}/ocpi/versions` };
}

/** POST: a partner registers with token A. */
export async function registerFromPartner(deps: HubDeps, caller: Caller, body: CredentialsBody): Promise<CredentialsBody> {
  if (caller.kind !== 'invite' || caller.platform.state === 'REGISTERED') {
    throw new MethodNotAllowedError('already registered: use PUT to update or rotate credentials');
  }
  const registrationHash = hashToken(deps.keys, registrationFingerprint(body));
  const credentials = await completeHandshake(deps, caller.platform, body, 'partner.register', {}, { registrationHash, seconds: deps.config.REGISTRATION_RETRY_WINDOW_S });
  if (deps.config.CLIENT_INFO_PUSH_ON_REGISTER) await sendClientInfoTo(deps, caller.platform.id);
  return credentials;
}

/**
 * POST with a used token A: the partner lost the answer to its registration. A repeat of that very
 * registration gets a new token C that replaces the first one; the parties, endpoints and
 * HubClientInfo stay as the registration left them (nothing is fetched, stored or announced again).
 * A new token rather than the same one: the hub keeps only a hash of token C, and the one it handed
 * out may have been read on its way by whoever broke the connection. Replacing rather than adding
 * keeps one valid token C; the one replaced was never used (its first use closes the window), so
 * nobody holding a working token loses it.
 */
export async function answerRegistrationAgain(deps: HubDeps, caller: Caller, input: unknown): Promise<CredentialsBody> {
  // Anything but the same registration, even a body that is no Credentials object, is refused as
  // from an unknown token: token A is spent, and says nothing more about the platform.
  if (!validate('credentials', input, { warnings: false }).ok) throw new UnauthorizedError();
  const body = input as CredentialsBody;
  const registered = await answeredRegistration(deps.db, caller.tokenHash);
  if (!registered || !sameHash(registered, hashToken(deps.keys, registrationFingerprint(body)))) throw new UnauthorizedError();
  const token = newToken();
  if (!(await replaceAnsweredToken(deps.db, caller.platform.id, caller.tokenHash, hashToken(deps.keys, token)))) throw new UnauthorizedError();
  await audit(deps.db, { actor: `platform:${caller.platform.id}`, action: 'partner.register_repeated', subject: caller.platform.id, details: { versions_url: body.url } });
  deps.log.info({ platformId: caller.platform.id }, 'partner repeated its registration: new token C handed out, the unused one withdrawn');
  return hubCredentials(deps.config, token);
}

/** PUT: a registered partner updates its endpoints or rotates its tokens. */
export async function updateFromPartner(deps: HubDeps, caller: Caller, body: CredentialsBody): Promise<CredentialsBody> {
  if (caller.kind === 'invite' || caller.kind === 'invite_used' || caller.platform.state !== 'REGISTERED') {
    throw new MethodNotAllowedError('not registered: use POST with the credentials token A to register');
  }
  // The presented token stays valid until the partner first uses the new one.
  return completeHandshake(deps, caller.platform, body, 'partner.update', { previous: caller.tokenHash });
}

/** DELETE: the partner ends the connection; all its tokens stop working. */
export async function unregisterFromPartner(deps: HubDeps, caller: Caller): Promise<void> {
  if (caller.kind === 'invite' || caller.kind === 'invite_used' || caller.platform.state !== 'REGISTERED') throw new MethodNotAllowedError('not registered');
  await unregisterPlatform(deps.db, caller.platform.id);
  await announceParties(deps, caller.platform.id);
  await audit(deps.db, { actor: `platform:${caller.platform.id}`, action: 'partner.unregister', subject: caller.platform.id });
}

async function completeHandshake(
  deps: HubDeps,
  platform: Platform,
  body: CredentialsBody,
  action: string,
  tokens: { previous?: string },
  keepInvite?: { registrationHash: string; seconds: number },
): Promise<CredentialsBody> {
  refuseHubParty(deps.config, body.roles);
  refuseDuplicateRoles(body.roles);
  const versions = await fetchPartnerVersions({
    versionsUrl: body.url,
    token: body.token,
    encoding: platform.state === 'REGISTERED' ? platform.authEncoding : undefined,
    allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    timeoutMs: deps.config.FORWARD_TIMEOUT_MS,
  });
  const token = newToken();
  try {
    await saveRegistration(
      deps.db,
      platform.id,
      {
        versionsUrl: body.url,
        version: versions.version,
        endpoints: versions.endpoints,
        outboundTokenEnc: encryptToken(deps.keys, body.token),
        roles: body.roles,
      },
      { current: hashToken(deps.keys, token), previous: tokens.previous },
      { keepInvite },
    );
    forgetPlatformAuth(platform.id);
  } catch (err) {
    if (err instanceof PartyTakenError) throw new InvalidParametersError(err.message, [{ path: 'roles', message: err.message }]);
    throw err;
  }
  if (versions.encoding !== platform.authEncoding) {
    await deps.db('platforms').where({ id: platform.id }).update({ auth_encoding: versions.encoding });
  }
  await audit(deps.db, { actor: `platform:${platform.id}`, action, subject: platform.id, details: { versions_url: body.url, roles: roleNames(body.roles) } });
  deps.log.info({ platformId: platform.id, action, roles: roleNames(body.roles) }, 'partner credentials stored');
  await announceParties(deps, platform.id);
  return hubCredentials(deps.config, token);
}

/**
 * Hub-initiated registration: the partner gave us its versions URL and a token A out of band.
 * The hub reads the partner's endpoints, POSTs its own credentials with a fresh token, and stores
 * the partner's answer.
 */
export async function registerWithPartner(
  deps: HubDeps,
  input: { versionsUrl: string; tokenA: string; name?: string; actor: string },
): Promise<{ platformId: string; roles: string[] }> {
  const versions = await fetchPartnerVersions({
    versionsUrl: input.versionsUrl,
    token: input.tokenA,
    allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    timeoutMs: deps.config.FORWARD_TIMEOUT_MS,
  });
  const platform = await createPlatform(deps.db, input.name ?? new URL(input.versionsUrl).host, null);
  const inbound = newToken();
  await addToken(deps.db, platform.id, hashToken(deps.keys, inbound), 'pending');
  const theirs = await postCredentials(deps, 'POST', versions.endpoints, input.tokenA, versions.encoding, inbound);
  await storeTheirCredentials(deps, platform.id, theirs, versions.encoding, inbound);
  await deps.db('platforms').where({ id: platform.id }).update({ auth_encoding: versions.encoding });
  await audit(deps.db, { actor: input.actor, action: 'partner.register_outbound', subject: platform.id, details: { versions_url: input.versionsUrl, roles: roleNames(theirs.roles) } });
  await announceParties(deps, platform.id);
  if (deps.config.CLIENT_INFO_PUSH_ON_REGISTER) await sendClientInfoTo(deps, platform.id);
  return { platformId: platform.id, roles: roleNames(theirs.roles) };
}

/**
 * Hub-initiated rotation. The new inbound token is valid (pending) before the partner hears of it,
 * and the old ones stay valid until the partner uses the new one: if the PUT fails half-way,
 * whichever token the partner ends up holding still works.
 */
export async function rotateWithPartner(deps: HubDeps, platformId: string, actor: string): Promise<void> {
  const platform = await findPlatform(deps.db, platformId);
  if (!platform || platform.state !== 'REGISTERED' || !platform.outboundTokenEnc) throw new MethodNotAllowedError('platform is not registered');
  const inbound = newToken();
  await addToken(deps.db, platform.id, hashToken(deps.keys, inbound), 'pending');
  const theirs = await postCredentials(deps, 'PUT', platform.endpoints, decryptToken(deps.keys, platform.outboundTokenEnc), platform.authEncoding, inbound);
  await storeTheirCredentials(deps, platform.id, theirs, platform.authEncoding, inbound);
  await audit(deps.db, { actor, action: 'partner.rotate', subject: platform.id });
}

/** The partner answered our POST/PUT with its credentials: read its endpoints with its new token, then store it all. */
async function storeTheirCredentials(deps: HubDeps, platformId: string, theirs: CredentialsBody, encoding: TokenEncoding, inbound: string): Promise<void> {
  refuseHubParty(deps.config, theirs.roles);
  const confirmed = await fetchPartnerVersions({
    versionsUrl: theirs.url,
    token: theirs.token,
    encoding,
    allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    timeoutMs: deps.config.FORWARD_TIMEOUT_MS,
  });
  await saveRegistration(
    deps.db,
    platformId,
    { versionsUrl: theirs.url, version: confirmed.version, endpoints: confirmed.endpoints, outboundTokenEnc: encryptToken(deps.keys, theirs.token), roles: theirs.roles },
    { current: hashToken(deps.keys, inbound) },
  );
  forgetPlatformAuth(platformId);
}

async function postCredentials(
  deps: HubDeps,
  method: 'POST' | 'PUT',
  endpoints: { identifier: string; role: 'SENDER' | 'RECEIVER'; url: string }[],
  token: string,
  encoding: TokenEncoding,
  inbound: string,
): Promise<CredentialsBody> {
  const url = endpointUrl(endpoints, 'credentials');
  if (!url) throw new ClientApiError('the partner lists no credentials endpoint');
  let reply;
  try {
    reply = await ocpiRequest({ method, url, token, encoding, body: hubCredentials(deps.config, inbound), timeoutMs: deps.config.FORWARD_TIMEOUT_MS, allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS });
  } catch (err) {
    if (err instanceof PartnerUnreachableError) throw new ClientApiError(`credentials ${method} failed: ${err.message}`, { cause: err });
    throw err;
  }
  const data = reply.envelope?.data as CredentialsBody | undefined;
  if (reply.httpStatus >= 300 || reply.envelope?.status_code !== 1000 || !data) {
    throw new ClientApiError(`credentials ${method} refused: HTTP ${reply.httpStatus}, OCPI ${reply.envelope?.status_code ?? 'none'} ${reply.envelope?.status_message ?? ''}`.trim());
  }
  return parseOcpi<CredentialsBody>('credentials', data);
}

export async function platformParties(deps: HubDeps, platformId: string) {
  return partiesOf(deps.db, platformId);
}

/** A platform's parties changed: routing sees it at once, and every other platform hears of it. */
async function announceParties(deps: HubDeps, platformId: string): Promise<void> {
  deps.directory.invalidate();
  const rows = await deps.db('parties').where({ platform_id: platformId });
  for (const row of rows) await announceClientInfo(deps, row);
}

function roleNames(roles: readonly PlannedParty[]): string[] {
  return roles.map((r) => `${r.role}:${r.country_code}-${r.party_id}`);
}
