import type { Knex } from 'knex';

// The worker's retention job (src/hub/commands/callbackRetention.ts) deletes, hourly and in
// batches, results finished and callbacks expired more than CALLBACK_RETENTION_S ago. Without these
// each batch would scan both tables, which only grow; the first index leaves out pending results,
// the ones the relay worker keeps changing and the job never deletes.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX callback_relays_finished ON callback_relays (finished_at) WHERE state <> 'pending'");
  await knex.raw('CREATE INDEX callbacks_expires ON callbacks (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX callbacks_expires');
  await knex.raw('DROP INDEX callback_relays_finished');
}
