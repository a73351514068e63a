import type { Knex } from 'knex';

// How far the outbox sweeper has checked a table: every row up to `seq` was published (or found
// published) by then, so a sweep reads only the rows after it instead of the whole table.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE outbox_watermarks (
      name text PRIMARY KEY,
      seq bigint NOT NULL DEFAULT 0,
      swept_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE outbox_watermarks');
}
