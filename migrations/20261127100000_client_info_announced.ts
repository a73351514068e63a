import type { Knex } from 'knex';

// When each party's current ClientInfo was last put on the stream for the other platforms. Every
// change of a party's status moves last_updated, so a party whose last_updated is newer than this
// has a change nobody heard of (the publish failed, the process died in between): the worker's
// outbox sweeper announces its current state. Rows that exist now count as announced.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE parties ADD COLUMN announced_at timestamptz');
  await knex.raw('UPDATE parties SET announced_at = last_updated');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE parties DROP COLUMN announced_at');
}
