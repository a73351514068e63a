import type { Knex } from 'knex';

// A review item disputed from the review queue names the clearing dispute it opened (or joined,
// when its CDR was already under an open dispute), so disputing it again opens nothing new and the
// queue shows where the case went. No index: review items are looked up by id.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE review_items ADD COLUMN dispute_id uuid REFERENCES clearing_disputes (id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE review_items DROP COLUMN dispute_id');
}
