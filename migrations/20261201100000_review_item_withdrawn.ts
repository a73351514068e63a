import type { Knex } from 'knex';

// A review item whose finding the anomaly detector withdrew (party drift judged a day again after
// late CDRs; src/clearing/reviewItemWithdrawals.ts) is `withdrawn`: neither open nor dismissed by
// the team, and open again if the finding is found again.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE review_items DROP CONSTRAINT review_items_status_check');
  await knex.raw(`ALTER TABLE review_items ADD CONSTRAINT review_items_status_check CHECK (status IN ('open', 'dismissed', 'disputed', 'withdrawn'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`UPDATE review_items SET status = 'dismissed' WHERE status = 'withdrawn'`);
  await knex.raw('ALTER TABLE review_items DROP CONSTRAINT review_items_status_check');
  await knex.raw(`ALTER TABLE review_items ADD CONSTRAINT review_items_status_check CHECK (status IN ('open', 'dismissed', 'disputed'))`);
}
