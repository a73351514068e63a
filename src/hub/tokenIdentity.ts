// A Token's identity. OCPI 2.2.1 names a Token by country_code, party_id, uid AND type
// (`{tokens}/{cc}/{pid}/{uid}[?type=]`, type RFID when absent; mod_tokens): an eMSP may issue an
// RFID card and an APP_USER token with the same uid, and they are two tokens. The hub keys its copy
// of a token (ocpi_objects.object_id) and the stream's per-object order (object_key) by both. The
// uid is a CiString: `abc` and `ABC` of one type are one token (compared by ciKey). Pure.
import { TokenTypeSchema, type TokenType } from '../../ocpi/schemas/enums.ts';
import { partyKey } from '../bus/subjects.ts';
import { InvalidParametersError } from '../errors.ts';
import { ciKey } from '../../ocpi/ciString.ts';

/** The type a token URL means when it names none (mod_tokens: `type` defaults to RFID). */
export const DEFAULT_TOKEN_TYPE: TokenType = 'RFID';

/** The `type` parameter of a query string (without `?`) as sent; undefined when absent. */
export function queryTokenType(query: string | undefined): string | undefined {
  return query ? (new URLSearchParams(query).get('type') ?? undefined) : undefined;
}

/** The TokenType a token URL names: its `?type=`, RFID when absent; 2001 naming `type` when it is not a TokenType. */
export function urlTokenType(query: string | undefined): TokenType {
  const type = queryTokenType(query);
  if (type === undefined) return DEFAULT_TOKEN_TYPE;
  const parsed = TokenTypeSchema.safeParse(type);
  if (!parsed.success) {
    throw new InvalidParametersError(`type: ${JSON.stringify(type)} is not a TokenType (${TokenTypeSchema.options.join(', ')})`, [{ path: 'type', message: 'unknown TokenType' }]);
  }
  return parsed.data;
}

/** CiString(36): printable ASCII, what a uid is made of (so never the separator below). */
const UID = /^[\x20-\x7e]{1,36}$/;

/** A uid in a token URL: 2001 naming `uid` unless it is a CiString(36). */
export function checkUrlUid(uid: string): void {
  if (!UID.test(uid)) throw new InvalidParametersError('uid in the URL must be 1 to 36 printable ASCII characters (CiString(36))', [{ path: 'uid', message: 'not a CiString(36)' }]);
}

/** U+001F (Unit Separator): not printable ASCII, so in no uid. */
const SEPARATOR = '\u001f';

/**
 * The object_id of a token in ocpi_objects: its uid for an RFID token (as the hub stored every
 * token before type was part of the key, so those rows stay as they are), `uid␟TYPE` for the other
 * types. A uid is printable ASCII and the separator is not, so no composite names an RFID token.
 */
export function tokenObjectId(uid: string, type: string): string {
  return type === 'RFID' ? uid : `${uid}${SEPARATOR}${type}`;
}

/** The token a URL names, `{uid}[?type=]`: its type (RFID when absent) and object_id; 2001 naming `uid` or `type` when not valid. */
export function urlToken(uid: string, query: string | undefined): { uid: string; type: TokenType; objectId: string } {
  checkUrlUid(uid);
  const type = urlTokenType(query);
  return { uid, type, objectId: tokenObjectId(uid, type) };
}

/**
 * The ordering key of a pushed object (messages with one key are delivered in order): module,
 * owner and top-level id, `tokens:NL-ABC:UID1`; for a token of another type than RFID the type
 * follows the owner, `tokens:NL-ABC/APP_USER:UID1`. An owner key is [A-Z0-9_-] only, so the `/`
 * tells the two apart whatever the uid holds, and RFID tokens keep the key they had (messages
 * already on the stream stay in order with new ones). The id is a CiString, keyed by its ciKey:
 * pushes to `loc1` and `LOC1` are one object's and take one lane, in order.
 */
export function pushObjectKey(module: string, countryCode: string, partyId: string, id: string, tokenType?: string): string {
  const owner = partyKey(countryCode, partyId);
  const key = ciKey(id);
  return module === 'tokens' && tokenType !== undefined && tokenType !== 'RFID' ? `${module}:${owner}/${tokenType}:${key}` : `${module}:${owner}:${key}`;
}

/** A token as error messages name it: `UID1 (APP_USER)`. */
export const describeToken = (uid: string, type: string) => `${uid} (${type})`;
