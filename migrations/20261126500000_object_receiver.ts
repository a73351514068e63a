import type { Knex } from 'knex';

// GET-all via hub over a million objects: a reader's list as a few index ranges instead of one OR
// filter over the module (objectPage, visibleParts).
//
// `receiver` is the one receiver of an object addressed to exactly one party and not broadcast
// (every session; any object routed directly to one party), NULL otherwise. A stored generated
// column: computed from `receivers` and `broadcast` on every write, so every writer fills it, and
// for the rows already there when the column is added (the table is rewritten once).
// Indexes, each in the page's order and without deleted objects (no list shows them):
// - ocpi_objects_receiver: an eMSP's sessions and other singly addressed objects;
// - ocpi_objects_multi_receiver: the other objects with receivers (addressed to several parties, or
//   broadcast and addressed too), few, filtered by receivers;
// - ocpi_objects_broadcast: broadcast objects;
// - ocpi_objects_owner: an owner's own objects (country_code and party_id included, so its count
//   is an index-only scan).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE ocpi_objects ADD COLUMN receiver text
      GENERATED ALWAYS AS (CASE WHEN cardinality(receivers) = 1 AND NOT broadcast THEN receivers[array_lower(receivers, 1)] END) STORED
  `);
  await knex.raw('CREATE INDEX ocpi_objects_receiver ON ocpi_objects (module, receiver, last_updated, seq) WHERE receiver IS NOT NULL AND NOT deleted');
  await knex.raw('CREATE INDEX ocpi_objects_multi_receiver ON ocpi_objects (module, last_updated, seq) WHERE receiver IS NULL AND cardinality(receivers) > 0 AND NOT deleted');
  await knex.raw('CREATE INDEX ocpi_objects_broadcast ON ocpi_objects (module, last_updated, seq) WHERE broadcast AND NOT deleted');
  await knex.raw('CREATE INDEX ocpi_objects_owner ON ocpi_objects (module, upper(country_code), upper(party_id), last_updated, seq) INCLUDE (country_code, party_id) WHERE NOT deleted');
}

export async function down(knex: Knex): Promise<void> {
  for (const index of ['ocpi_objects_owner', 'ocpi_objects_broadcast', 'ocpi_objects_multi_receiver', 'ocpi_objects_receiver']) await knex.raw(`DROP INDEX ${index}`);
  await knex.raw('ALTER TABLE ocpi_objects DROP COLUMN receiver');
}
