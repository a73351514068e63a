import type { Knex } from 'knex';

// Pushes of stored objects (locations, sessions, tariffs, tokens) whose messages JetStream has not
// confirmed yet: written in the transaction that stores the new state, deleted once the publish is
// confirmed. A row left behind (NATS unreachable, the process died in between) is swept by the
// worker, which publishes the object's current state to the push's receivers.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE object_outbox (
      id bigserial PRIMARY KEY,
      messages jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX object_outbox_created_at ON object_outbox (created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE object_outbox');
}
