import type { Knex } from 'knex';

// Party connection status (HubClientInfo). parties.suspended_at: an operator suspended the party
// (`hub partners suspend`); only `resume` lifts it, a credentials PUT or a new registration does not.
// platforms.alive_checked_at: when a worker last sent the still-alive GET on the platform's
// versions endpoint; a worker claims a check by setting it, so two workers never check the same
// platform at once.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE parties ADD COLUMN suspended_at timestamptz;
    ALTER TABLE platforms ADD COLUMN alive_checked_at timestamptz;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE parties DROP COLUMN suspended_at;
    ALTER TABLE platforms DROP COLUMN alive_checked_at;
  `);
}
