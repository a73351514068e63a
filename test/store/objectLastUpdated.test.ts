// The hub's copy files an object under its last_updated in UTC whatever the database session's
// time zone: OCPI allows a DateTime without `Z` (still UTC), which Postgres would otherwise read
// as local time of a server not running in UTC, and GET-all's date_from window would be off by hours.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { saveObject } from '../../src/store/objects.ts';
import { clearingDb } from '../clearing/support.ts';

let db: Db;

beforeAll(() => {
  db = clearingDb(2);
});

afterAll(async () => {
  await db('ocpi_objects').where({ party_id: 'QKZ' }).delete();
  await db.destroy();
});

it.each([
  ['without Z', '2031-06-01T12:00:00', '2031-06-01T12:00:00.000000Z'],
  ['with a fraction and without Z', '2031-06-01T12:00:00.25', '2031-06-01T12:00:00.250000Z'],
  ['with Z', '2031-06-01T12:00:00Z', '2031-06-01T12:00:00.000000Z'],
])('a last_updated %s is stored as that UTC instant on a server in another time zone', async (_what, lastUpdated, expected) => {
  const objectId = `QK-${lastUpdated}`;
  const stored = await db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL TIME ZONE 'America/New_York'`);
    await saveObject(trx, { module: 'locations', countryCode: 'NL', partyId: 'QKZ', objectId }, { data: { id: objectId, last_updated: lastUpdated }, lastUpdated, receivers: [], broadcast: true });
    return (await trx.raw(`SELECT to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM ocpi_objects WHERE party_id = 'QKZ' AND object_id = ?`, [objectId])) as { rows: { at: string }[] };
  });
  expect(stored.rows[0].at).toBe(expected);
});
