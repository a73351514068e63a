import { migrateAll } from '../bootstrap.ts';
import { cliConfig } from './localConfig.ts';

export async function run(): Promise<number> {
  const result = await migrateAll(cliConfig());
  process.stdout.write(
    `postgres: ${result.postgres.length ? `applied ${result.postgres.join(', ')}` : 'up to date'}\n` +
      `clickhouse: ${result.clickhouse.length ? `applied ${result.clickhouse.join(', ')}` : 'up to date'}\n`,
  );
  return 0;
}
