import type { Knex } from 'knex';

// Billing anomalies the analytics detector found, queued for the settlement team. One row per
// finding key (anomaly type + subject), so a re-detected anomaly never queues twice. A CDR-level
// finding names the CDR (country_code, party_id, cdr_id); a party-level one (daily drift) has no
// cdr_id and names the day in its evidence. Status: open → dismissed | disputed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('review_items', (t) => {
    t.bigIncrements('id');
    t.text('finding_key').notNullable().unique();
    t.string('country_code', 2).notNullable();
    t.string('party_id', 3).notNullable();
    t.string('cdr_id', 39);
    t.text('anomaly_type').notNullable();
    t.text('severity').notNullable();
    t.jsonb('evidence').notNullable().defaultTo('{}');
    t.text('status').notNullable().defaultTo('open');
    t.text('note');
    t.timestamp('detected_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['status', 'created_at']);
    t.index(['country_code', 'party_id', 'cdr_id']);
  });
  await knex.raw(`ALTER TABLE review_items ADD CONSTRAINT review_items_status_check CHECK (status IN ('open', 'dismissed', 'disputed'))`);
  await knex.raw(`ALTER TABLE review_items ADD CONSTRAINT review_items_severity_check CHECK (severity IN ('low', 'medium', 'high'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('review_items');
}
