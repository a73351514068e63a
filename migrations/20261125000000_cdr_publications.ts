import type { Knex } from 'knex';

// Which accepted CDRs JetStream confirmed, as narrow rows of their own instead of a published_at
// column: setting that column rewrote every CDR row once more (a ~2 kB row version and an entry in
// each of the table's indexes, half the table dead until vacuumed), the largest share of the disk
// writes behind each accepted CDR. No foreign key: the writer inserts a marker only for a CDR it
// has just committed, and a check per marker would cost an index lookup in cdrs.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cdr_publications (seq bigint PRIMARY KEY);
    INSERT INTO cdr_publications (seq) SELECT seq FROM cdrs WHERE published_at IS NOT NULL;
    ALTER TABLE cdrs DROP COLUMN published_at;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE cdrs ADD COLUMN published_at timestamptz;
    UPDATE cdrs SET published_at = now() FROM cdr_publications p WHERE p.seq = cdrs.seq;
    DROP TABLE cdr_publications;
  `);
}
