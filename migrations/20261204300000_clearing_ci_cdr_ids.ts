import type { Knex } from 'knex';

// A CDR id is a CiString (OCPI 2.2.1): `CDR1` and `cdr1` are one CDR, and a credit CDR may name its
// original in either case. The clearing house keyed bookings by the id as spelled, so a credit
// naming `cdr1` for the original `CDR1` was held as original_unknown (the eMSP was never credited)
// and a CDR published twice under two spellings (hub cdrs import publishes straight to the stream)
// was booked twice. Bookings get the case-insensitive keys of their id and of the id they credit
// as generated columns (the rule of ciKey in ocpi/ciString.ts: a-z upper-cased, nothing else,
// so no database locale changes a key), and the booking identity and the index of credits waiting
// for their original move onto them.
//
// Bookings stored before that differ only in the case of their id were booked twice and posted to
// the ledger, which is immutable: they stay as they are, and every one but the first (lowest id)
// is marked case_duplicate and left out of the identity, so that lookups by id find the first.
const CI = (column: string) => `translate(${column}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE clearing_bookings
      ADD COLUMN cdr_id_ci text GENERATED ALWAYS AS (${CI('cdr_id')}) STORED,
      ADD COLUMN credit_reference_id_ci text GENERATED ALWAYS AS (${CI('credit_reference_id')}) STORED,
      ADD COLUMN case_duplicate boolean NOT NULL DEFAULT false;
    UPDATE clearing_bookings b SET case_duplicate = true
      FROM (SELECT id, row_number() OVER (PARTITION BY country_code, party_id, cdr_id_ci ORDER BY id) AS rank FROM clearing_bookings) r
     WHERE r.id = b.id AND r.rank > 1;
    DROP INDEX clearing_bookings_cdr;
    CREATE UNIQUE INDEX clearing_bookings_cdr ON clearing_bookings (country_code, party_id, cdr_id_ci) WHERE NOT case_duplicate;
    DROP INDEX clearing_bookings_credits_waiting;
    CREATE INDEX clearing_bookings_credits_waiting ON clearing_bookings (country_code, party_id, credit_reference_id_ci) WHERE status = 'held' AND kind = 'credit';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX clearing_bookings_credits_waiting;
    DROP INDEX clearing_bookings_cdr;
    ALTER TABLE clearing_bookings DROP COLUMN case_duplicate, DROP COLUMN credit_reference_id_ci, DROP COLUMN cdr_id_ci;
    CREATE UNIQUE INDEX clearing_bookings_cdr ON clearing_bookings (country_code, party_id, cdr_id);
    CREATE INDEX clearing_bookings_credits_waiting ON clearing_bookings (country_code, party_id, credit_reference_id) WHERE status = 'held' AND kind = 'credit';
  `);
}
