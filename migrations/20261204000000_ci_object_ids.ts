import type { Knex } from 'knex';

// Object ids are CiStrings (OCPI 2.2.1): `LOC1` and `loc1` name one Location, one CDR, one token.
// The hub's copy (ocpi_objects) and its CDRs (cdrs) were unique by the id as spelled, so a PATCH of
// `loc1` missed the Location PUT as `LOC1`, GET-all listed both spellings, and a CDR POSTed again
// as `cdr1` was accepted and delivered twice. Each table gets its id's case-insensitive key as a
// generated column (the rule of ciKey in ocpi/ciString.ts: a-z upper-cased, nothing else, so
// no database locale changes it), and its identity index is on that key. The id column keeps the
// owner's spelling. The identity index leads with (module, key), so a lookup of an id across
// owners (locationOwner, sessionOwner, GET of a Location by id) uses it and the separate index on
// a location's object_id goes.
//
// Rows that differ only in the case of their id (stored before) are one object now: the one
// updated last (last_updated, then seq) stays; the others move to ocpi_objects_case_duplicates and
// cdrs_case_duplicates, unchanged, where nothing reads them. The object that stays takes on the
// receivers of the ones that moved (and broadcast, if one was), so every party that got one of
// them still sees it and gets its follow-up pushes. down puts the moved rows back (and leaves
// those receivers: they only widen who sees the object, as any later push would).
/** Every column of ocpi_objects but the generated ones (receiver; object_id_ci). */
const OBJECT_COLUMNS = 'seq, module, country_code, party_id, object_id, data, last_updated, receivers, broadcast, deleted, created_at';
const CI = (column: string) => `translate(${column}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ocpi_objects_case_duplicates AS SELECT ${OBJECT_COLUMNS}, seq AS kept_seq FROM ocpi_objects WITH NO DATA;
    WITH ranked AS (
      SELECT seq, first_value(seq) OVER identity AS kept, row_number() OVER identity AS rank
        FROM ocpi_objects
      WINDOW identity AS (PARTITION BY module, upper(country_code), upper(party_id), ${CI('object_id')} ORDER BY last_updated DESC, seq DESC)
    )
    INSERT INTO ocpi_objects_case_duplicates SELECT ${OBJECT_COLUMNS.replace(/(\w+)/g, 'o.$1')}, r.kept
      FROM ocpi_objects o JOIN ranked r ON r.seq = o.seq WHERE r.rank > 1;
    UPDATE ocpi_objects o
       SET receivers = ARRAY(SELECT DISTINCT r FROM (SELECT unnest(o.receivers) UNION SELECT unnest(d.receivers) FROM ocpi_objects_case_duplicates d WHERE d.kept_seq = o.seq) AS every(r)),
           broadcast = o.broadcast OR EXISTS (SELECT 1 FROM ocpi_objects_case_duplicates d WHERE d.kept_seq = o.seq AND d.broadcast)
     WHERE o.seq IN (SELECT kept_seq FROM ocpi_objects_case_duplicates);
    DELETE FROM ocpi_objects WHERE seq IN (SELECT seq FROM ocpi_objects_case_duplicates);
  `);
  await knex.raw(`
    ALTER TABLE ocpi_objects ADD COLUMN object_id_ci text GENERATED ALWAYS AS (${CI('object_id')}) STORED;
    DROP INDEX ocpi_objects_identity;
    CREATE UNIQUE INDEX ocpi_objects_identity ON ocpi_objects (module, object_id_ci, upper(country_code), upper(party_id));
    DROP INDEX ocpi_objects_location_id;
  `);

  await knex.raw(`
    CREATE TABLE cdrs_case_duplicates (LIKE cdrs);
    WITH ranked AS (
      SELECT seq, row_number() OVER (PARTITION BY upper(country_code), upper(party_id), ${CI('cdr_id')} ORDER BY last_updated DESC, seq DESC) AS rank FROM cdrs
    ), moved AS (
      DELETE FROM cdrs c USING ranked r WHERE c.seq = r.seq AND r.rank > 1 RETURNING c.*
    )
    INSERT INTO cdrs_case_duplicates SELECT * FROM moved;
  `);
  await knex.raw(`
    ALTER TABLE cdrs ADD COLUMN cdr_id_ci text GENERATED ALWAYS AS (${CI('cdr_id')}) STORED;
    DROP INDEX cdrs_identity;
    CREATE UNIQUE INDEX cdrs_identity ON cdrs (upper(country_code), upper(party_id), cdr_id_ci);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX cdrs_identity;
    ALTER TABLE cdrs DROP COLUMN cdr_id_ci;
    CREATE UNIQUE INDEX cdrs_identity ON cdrs (upper(country_code), upper(party_id), cdr_id);
    INSERT INTO cdrs SELECT * FROM cdrs_case_duplicates ON CONFLICT DO NOTHING;
    DROP TABLE cdrs_case_duplicates;
  `);
  await knex.raw(`
    DROP INDEX ocpi_objects_identity;
    ALTER TABLE ocpi_objects DROP COLUMN object_id_ci;
    CREATE UNIQUE INDEX ocpi_objects_identity ON ocpi_objects (module, upper(country_code), upper(party_id), object_id);
    CREATE INDEX ocpi_objects_location_id ON ocpi_objects (object_id) WHERE module = 'locations';
    INSERT INTO ocpi_objects (${OBJECT_COLUMNS}) SELECT ${OBJECT_COLUMNS} FROM ocpi_objects_case_duplicates
      ON CONFLICT DO NOTHING;
    DROP TABLE ocpi_objects_case_duplicates;
  `);
}
