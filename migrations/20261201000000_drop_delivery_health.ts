import type { Knex } from 'knex';

// delivery_health was written on every status change and read by nothing: a party's health lives
// in parties.status (what HubClientInfo reports), per role, and the failures behind it in the
// traffic facts and dead letters.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.dropTable('delivery_health');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable('delivery_health', (t) => {
    t.text('receiver').primary();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('last_success_at', { useTz: true });
    t.timestamp('last_failure_at', { useTz: true });
    t.text('last_error');
  });
}
