import type { Knex } from 'knex';

// A token A that has registered its platform is kept for a while as `invite_used`, so a partner whose
// registration answer was lost can repeat the very same POST (src/partners/registrationRetry.ts).
// registration_hash is a keyed hash of what it registered (token B, versions URL, roles): the token
// B itself is not kept a second time. expires_at ends the window; the partner's first use of token
// C ends it sooner (the row is deleted).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE platform_tokens DROP CONSTRAINT platform_tokens_kind_check');
  await knex.raw(`ALTER TABLE platform_tokens ADD CONSTRAINT platform_tokens_kind_check CHECK (kind IN ('invite', 'invite_used', 'current', 'previous', 'pending'))`);
  await knex.schema.alterTable('platform_tokens', (t) => {
    t.text('registration_hash');
    t.timestamp('expires_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('platform_tokens').where({ kind: 'invite_used' }).delete();
  await knex.schema.alterTable('platform_tokens', (t) => {
    t.dropColumn('registration_hash');
    t.dropColumn('expires_at');
  });
  await knex.raw('ALTER TABLE platform_tokens DROP CONSTRAINT platform_tokens_kind_check');
  await knex.raw(`ALTER TABLE platform_tokens ADD CONSTRAINT platform_tokens_kind_check CHECK (kind IN ('invite', 'current', 'previous', 'pending'))`);
}
