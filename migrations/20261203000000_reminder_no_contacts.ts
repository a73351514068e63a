import type { Knex } from 'knex';

// A reminder step that came due while the party had no billing contacts reminded nobody: it is
// recorded as 'no_contacts', not 'sent', and fired again once a contact exists (src/billing/reminders.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE billing_reminders DROP CONSTRAINT billing_reminders_outcome_check');
  await knex.raw(`ALTER TABLE billing_reminders ADD CONSTRAINT billing_reminders_outcome_check CHECK (outcome IN ('sent', 'skipped', 'no_contacts'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('billing_reminders').where({ outcome: 'no_contacts' }).update({ outcome: 'sent' });
  await knex.raw('ALTER TABLE billing_reminders DROP CONSTRAINT billing_reminders_outcome_check');
  await knex.raw(`ALTER TABLE billing_reminders ADD CONSTRAINT billing_reminders_outcome_check CHECK (outcome IN ('sent', 'skipped'))`);
}
