import type { Knex } from 'knex';

// Platforms (one per OCPI connection) and their parties (one per country_code, party_id, role).
// Tokens a partner presents are stored only as keyed hashes; the token the hub presents is
// encrypted. A platform may hold several valid inbound tokens during a rotation, hence the
// separate table.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('platforms', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('state').notNullable().defaultTo('INVITED');
    t.text('versions_url');
    t.text('version');
    t.jsonb('endpoints').notNullable().defaultTo('[]');
    t.text('outbound_token_enc');
    t.text('auth_encoding').notNullable().defaultTo('base64');
    t.timestamp('registered_at', { useTz: true });
    t.timestamp('last_seen_at', { useTz: true });
    t.timestamps(true, true);
  });
  await knex.raw(`ALTER TABLE platforms ADD CONSTRAINT platforms_state_check CHECK (state IN ('INVITED', 'REGISTERED', 'UNREGISTERED'))`);
  await knex.raw(`ALTER TABLE platforms ADD CONSTRAINT platforms_auth_encoding_check CHECK (auth_encoding IN ('base64', 'plain'))`);

  await knex.schema.createTable('platform_tokens', (t) => {
    t.text('token_hash').primary();
    t.uuid('platform_id').notNullable().references('platforms.id').onDelete('CASCADE');
    // invite: token A (versions and credentials only); current / previous / pending: inbound tokens.
    t.text('kind').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['platform_id']);
  });
  await knex.raw(`ALTER TABLE platform_tokens ADD CONSTRAINT platform_tokens_kind_check CHECK (kind IN ('invite', 'current', 'previous', 'pending'))`);

  await knex.schema.createTable('parties', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('platform_id').notNullable().references('platforms.id');
    t.string('country_code', 2).notNullable();
    t.string('party_id', 3).notNullable();
    t.text('role').notNullable();
    t.jsonb('business_details').notNullable();
    t.text('status').notNullable().defaultTo('PLANNED');
    t.timestamp('last_updated', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['platform_id']);
    t.index(['last_updated']);
  });
  // CiString: country_code and party_id compare case-insensitively.
  await knex.raw('CREATE UNIQUE INDEX parties_identity ON parties (upper(country_code), upper(party_id), role)');
  await knex.raw(`ALTER TABLE parties ADD CONSTRAINT parties_status_check CHECK (status IN ('CONNECTED', 'OFFLINE', 'PLANNED', 'SUSPENDED'))`);

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('subject');
    t.jsonb('details').notNullable().defaultTo('{}');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
  await knex.schema.dropTable('parties');
  await knex.schema.dropTable('platform_tokens');
  await knex.schema.dropTable('platforms');
}
