import type { Knex } from 'knex';

// When settlement replaces a PayPal order that expired, the billing contacts who were emailed the
// statement (with the dead link) get one 'pay_link' email with the new link (src/billing/payLinkEmails.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE billing_messages DROP CONSTRAINT billing_messages_kind_check');
  await knex.raw(`ALTER TABLE billing_messages ADD CONSTRAINT billing_messages_kind_check CHECK (kind IN ('statement', 'reminder', 'escalation', 'login_link', 'pay_link'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('billing_messages').where({ kind: 'pay_link' }).delete();
  await knex.raw('ALTER TABLE billing_messages DROP CONSTRAINT billing_messages_kind_check');
  await knex.raw(`ALTER TABLE billing_messages ADD CONSTRAINT billing_messages_kind_check CHECK (kind IN ('statement', 'reminder', 'escalation', 'login_link'))`);
}
