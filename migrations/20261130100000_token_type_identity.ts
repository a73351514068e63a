import type { Knex } from 'knex';

// A Token is its country_code, party_id, uid AND type (OCPI 2.2.1 mod_tokens): the hub's copy of a
// token (ocpi_objects) is keyed by tokenObjectId (src/hub/tokenIdentity.ts): the uid for an RFID
// token, as before, so those rows stay as they are; `uid␟TYPE` (U+001F, in no uid) for the others.
// This moves the tokens of other types stored under their bare uid to that key. Before, two tokens
// of one eMSP with one uid shared a row, which holds the one pushed last.
//
// down: back to one row per owner and uid; where a uid has tokens of several types, the one
// updated last is kept (what that version would have stored) and the others are deleted.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE ocpi_objects SET object_id = object_id || chr(31) || (data->>'type')
     WHERE module = 'tokens' AND data->>'type' <> 'RFID' AND strpos(object_id, chr(31)) = 0
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM ocpi_objects WHERE seq IN (
      SELECT seq FROM (
        SELECT seq, row_number() OVER (
                 PARTITION BY upper(country_code), upper(party_id), split_part(object_id, chr(31), 1)
                 ORDER BY last_updated DESC, seq DESC) AS rank
          FROM ocpi_objects WHERE module = 'tokens') AS ranked
       WHERE rank > 1)
  `);
  await knex.raw(`
    UPDATE ocpi_objects SET object_id = split_part(object_id, chr(31), 1)
     WHERE module = 'tokens' AND strpos(object_id, chr(31)) > 0
  `);
}
