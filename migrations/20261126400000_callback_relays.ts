import type { Knex } from 'knex';

// Results a responder (CPO) POSTed to a hub callback, kept until the requester's response_url has
// taken them: relayed at once when it can be, otherwise retried by the worker role with backoff up
// to CALLBACK_RELAY_HORIZON_S, across restarts. One result in flight per callback, oldest first, so
// a CANCELED_RESERVATION never overtakes the ACCEPTED before it. `next_attempt_at` doubles as the
// claim: whoever attempts a relay first moves it past the attempt's own timeout.
// A callback gets an expiry: results posted after it are refused (404 + 2001) like unknown ids.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE callbacks ADD COLUMN expires_at timestamptz');
  await knex.raw(`
    CREATE TABLE callback_relays (
      id bigserial PRIMARY KEY,
      callback_id uuid NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
      body jsonb NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'relayed', 'refused', 'expired')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      received_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
  `);
  await knex.raw("CREATE INDEX callback_relays_due ON callback_relays (next_attempt_at) WHERE state = 'pending'");
  await knex.raw('CREATE INDEX callback_relays_callback ON callback_relays (callback_id, id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE callback_relays');
  await knex.raw('ALTER TABLE callbacks DROP COLUMN expires_at');
}
