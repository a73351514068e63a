import type { Knex } from 'knex';

// When the hub last asked PayPal to create a collection's order (src/clearing/orderIntent.ts): written
// before the call, so a run that stopped before saving the order's id tells the next run whether
// PayPal still replays that creation for its PayPal-Request-Id or may have a second, orphan order.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clearing_payments', (t) => {
    t.timestamp('order_requested_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clearing_payments', (t) => {
    t.dropColumn('order_requested_at');
  });
}
