import type { Knex } from 'knex';

// The hub's copy of every client-owned object it routed (so GET-all via hub and replays work),
// CDRs (immutable, with their validation outcome), token ownership for open routing, command
// callbacks, and deliveries that ran past the horizon (dead letters).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ocpi_objects', (t) => {
    t.bigIncrements('seq');
    t.text('module').notNullable();
    t.string('country_code', 2).notNullable();
    t.string('party_id', 3).notNullable();
    t.text('object_id').notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('last_updated', { useTz: true }).notNullable();
    // Who may read it: receivers it was addressed to, or everybody of the opposite role.
    t.specificType('receivers', 'text[]').notNullable().defaultTo('{}');
    t.boolean('broadcast').notNullable().defaultTo(false);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX ocpi_objects_identity ON ocpi_objects (module, upper(country_code), upper(party_id), object_id)');
  // Paging order: last_updated then seq, per module (GET-all via hub over a million objects).
  await knex.raw('CREATE INDEX ocpi_objects_paging ON ocpi_objects (module, last_updated, seq)');
  await knex.raw('CREATE INDEX ocpi_objects_receivers ON ocpi_objects USING gin (receivers)');
  await knex.raw("CREATE INDEX ocpi_objects_token_uid ON ocpi_objects ((data->>'uid')) WHERE module = 'tokens'");
  await knex.raw("CREATE INDEX ocpi_objects_contract ON ocpi_objects ((data->>'contract_id')) WHERE module = 'tokens'");
  await knex.raw("CREATE INDEX ocpi_objects_location_id ON ocpi_objects (object_id) WHERE module = 'locations'");

  await knex.schema.createTable('cdrs', (t) => {
    t.bigIncrements('seq');
    t.string('country_code', 2).notNullable();
    t.string('party_id', 3).notNullable();
    t.text('cdr_id').notNullable();
    t.jsonb('data').notNullable();
    t.text('content_hash').notNullable();
    t.text('receiver');
    t.text('routing').notNullable();
    t.jsonb('validation').notNullable().defaultTo('[]');
    t.timestamp('last_updated', { useTz: true }).notNullable();
    t.timestamp('published_at', { useTz: true });
    t.text('receiver_location');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX cdrs_identity ON cdrs (upper(country_code), upper(party_id), cdr_id)');
  await knex.raw('CREATE INDEX cdrs_paging ON cdrs (last_updated, seq)');
  await knex.raw('CREATE INDEX cdrs_receiver ON cdrs (receiver, last_updated, seq)');

  await knex.schema.createTable('token_prefixes', (t) => {
    // Configurable contract_id / uid prefix → eMSP map for open routing of sessions and CDRs.
    t.text('prefix').primary();
    t.string('country_code', 2).notNullable();
    t.string('party_id', 3).notNullable();
  });

  await knex.schema.createTable('callbacks', (t) => {
    t.uuid('id').primary();
    t.text('module').notNullable();
    t.text('response_url').notNullable();
    t.text('requester').notNullable();
    t.text('responder').notNullable();
    t.text('correlation_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
  });

  await knex.schema.createTable('dead_letters', (t) => {
    t.bigIncrements('id');
    t.text('receiver').notNullable();
    t.text('module').notNullable();
    t.text('object_key').notNullable();
    t.bigInteger('stream_seq').notNullable();
    t.jsonb('message').notNullable();
    t.text('reason').notNullable();
    t.integer('attempts').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('replayed_at', { useTz: true });
    t.unique(['receiver', 'stream_seq']);
  });
  await knex.raw('CREATE INDEX dead_letters_open ON dead_letters (receiver, created_at) WHERE replayed_at IS NULL');

  await knex.schema.createTable('delivery_health', (t) => {
    t.text('receiver').primary();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('last_success_at', { useTz: true });
    t.timestamp('last_failure_at', { useTz: true });
    t.text('last_error');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['delivery_health', 'dead_letters', 'callbacks', 'token_prefixes', 'cdrs', 'ocpi_objects']) await knex.schema.dropTable(table);
}
