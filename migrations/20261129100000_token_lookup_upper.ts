import type { Knex } from 'knex';

// uid and contract_id are CiStrings: tokenOwner (open routing) compares them with upper() on both
// sides, so its indexes are on the upper-cased values. The case-sensitive ones had no other reader.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX ocpi_objects_token_uid_upper ON ocpi_objects (upper(data->>'uid')) WHERE module = 'tokens'");
  await knex.raw("CREATE INDEX ocpi_objects_contract_upper ON ocpi_objects (upper(data->>'contract_id')) WHERE module = 'tokens'");
  await knex.raw('DROP INDEX ocpi_objects_token_uid');
  await knex.raw('DROP INDEX ocpi_objects_contract');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX ocpi_objects_token_uid ON ocpi_objects ((data->>'uid')) WHERE module = 'tokens'");
  await knex.raw("CREATE INDEX ocpi_objects_contract ON ocpi_objects ((data->>'contract_id')) WHERE module = 'tokens'");
  await knex.raw('DROP INDEX ocpi_objects_contract_upper');
  await knex.raw('DROP INDEX ocpi_objects_token_uid_upper');
}
