import type { Knex } from 'knex';

// The billing tick reads only statements that may still need a reminder or escalation
// (src/billing/reminderCandidates.ts): payers' statements neither written off nor escalated, by due
// date, and the few escalated ones whose latest reminder reached nobody.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX billing_statements_reminder_candidates ON billing_statements (due_date) WHERE direction = 'party_pays' AND written_off_at IS NULL AND escalated_at IS NULL`);
  await knex.raw(`CREATE INDEX billing_reminders_no_contacts ON billing_reminders (statement_id) WHERE outcome = 'no_contacts'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX billing_reminders_no_contacts');
  await knex.raw('DROP INDEX billing_statements_reminder_candidates');
}
