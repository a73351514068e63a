// OCPI object ids (Location.id, EVSE.uid, Connector.id, Session.id, CDR.id, Tariff.id, Token.uid)
// are CiStrings: case-insensitive printable ASCII. The hub identifies an object by its id's ciKey
// and keeps the spelling its owner sent.
//
// Only a-z are folded: String#toUpperCase and Postgres upper() also fold letters outside ASCII,
// upper() by the database's locale (a Turkish ctype makes 'i' 'İ'), so the two could disagree on
// a key. The generated columns ocpi_objects.object_id_ci and cdrs.cdr_id_ci apply this same rule
// as translate(id, 'a…z', 'A…Z') (migrations/20261204000000_ci_object_ids.ts).

/** The key a CiString is compared by: its ASCII letters upper-cased, every other character as it is. */
export function ciKey(value: string): string {
  return value.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/** Whether two values are one CiString (false when either is not a string). */
export function sameCi(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' && ciKey(a) === ciKey(b);
}
