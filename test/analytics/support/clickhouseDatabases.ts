// ClickHouse databases of a test file's own, migrated, and dropped when the file is done:
//   const databases = clickHouseDatabases(); afterAll(databases.dropAll);
//   const ch = await databases.open('ci');
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../../src/store/clickhouse.ts';
import { testConfig } from '../../support/hub.ts';

export function clickHouseDatabases() {
  const base = testConfig({ PORT: '18080' });
  const opened: { ch: ClickHouseClient; database: string }[] = [];
  return {
    /** A new database named after the run's, `tag` and a random suffix, with every migration applied. */
    async open(tag: string): Promise<ClickHouseClient> {
      const database = `${base.CLICKHOUSE_DATABASE}_${tag}${randomBytes(3).toString('hex')}`;
      await ensureClickHouseDatabase(base.CLICKHOUSE_URL, database);
      const ch = createClickHouse(base.CLICKHOUSE_URL, database);
      opened.push({ ch, database });
      await migrateClickHouse(ch);
      return ch;
    },
    async dropAll(): Promise<void> {
      for (const { ch, database } of opened.splice(0)) {
        await ch.close();
        await dropClickHouseDatabase(base.CLICKHOUSE_URL, database);
      }
    },
  };
}
