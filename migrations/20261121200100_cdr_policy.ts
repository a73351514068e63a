import type { Knex } from 'knex';

// Per-partner CDR policy: business-rule findings only flag a CDR (default), or reject it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('platforms', (t) => {
    t.text('cdr_policy').notNullable().defaultTo('flag');
  });
  await knex.raw(`ALTER TABLE platforms ADD CONSTRAINT platforms_cdr_policy_check CHECK (cdr_policy IN ('flag', 'reject'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('platforms', (t) => t.dropColumn('cdr_policy'));
}
