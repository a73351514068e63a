import type { Knex } from 'knex';

// Open routing of sessions and CDRs for tokens an eMSP never pushed (an APP_USER token used only in
// START_SESSION / RESERVE_NOW): when such a command passes through the hub, its token's uid and
// contract_id are recorded against the requesting eMSP (src/hub/commands/commandTokens.ts), and
// tokenOwner reads them after the pushed tokens and before the prefix map. Values are stored
// upper-case (CiString). One row per (value, eMSP): a token used again only moves `recorded_at`, so
// the table grows with distinct tokens, not with commands; the callback retention job deletes rows
// not refreshed for CALLBACK_RETENTION_S, on the `recorded_at` index.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE command_tokens (
      field text NOT NULL CHECK (field IN ('uid', 'contract_id')),
      value text NOT NULL CHECK (value = upper(value)),
      country_code text NOT NULL,
      party_id text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (field, value, country_code, party_id)
    );
  `);
  await knex.raw('CREATE INDEX command_tokens_recorded ON command_tokens (recorded_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE command_tokens');
}
