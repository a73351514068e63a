// Current ClickHouse without a server: the npm package chdb embeds ClickHouse (26.x) in the test
// process, and its `chdb/connection` plugs into @clickhouse/client as the client's connection. So
// the code under test gets a real `ClickHouseClient` (query / command / insert / exec, the same
// ResultSet and errors) and sends its own SQL, unchanged, to current ClickHouse.
//
// The engine is one per process and ephemeral (`:memory:`); vitest runs each test file in a
// process of its own. The tables live in the session's `default` database: our SQL names no
// database (`currentDatabase()` at most).
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/** One request the code sent: the SQL of a query or command, `INSERT INTO t FORMAT f` for an insert. */
export interface Issued {
  kind: 'query' | 'command' | 'exec' | 'insert';
  sql: string;
}

export interface ChdbClickHouse {
  /** Hand this to the code under test. Its close() does nothing: the engine lives until `close` below. */
  client: ClickHouseClient;
  /** Every request so far, in order. */
  issued: Issued[];
  close(): Promise<void>;
}

const kinds = new Set(['query', 'command', 'exec', 'insert']);

// chdb declares its connection with its own copy of @clickhouse/client-common's types, which the
// copy bundled in @clickhouse/client does not accept as the same (their setting lists differ).
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * A client on an in-process current ClickHouse that records what it is asked and, when ClickHouse
 * refuses a statement, says which one: the error's message gets the statement's SQL appended.
 */
export function chdbClickHouse(): ChdbClickHouse {
  const real = createClient({ connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection, log: { level: ClickHouseLogLevel.OFF } });
  const issued: Issued[] = [];
  const client = new Proxy(real, {
    get(target, name, receiver) {
      if (name === 'close') return async () => {};
      const value = Reflect.get(target, name, receiver);
      if (typeof name !== 'string' || !kinds.has(name)) return value;
      return async (params: { query?: string; table?: string; format?: string }) => {
        const entry: Issued = { kind: name as Issued['kind'], sql: name === 'insert' ? `INSERT INTO ${params.table} FORMAT ${params.format ?? 'JSONCompactEachRow'}` : String(params.query) };
        issued.push(entry);
        try {
          return await value.call(target, params);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          throw new Error(`current ClickHouse refused a ${entry.kind}: ${message}\n--- statement ---\n${entry.sql}`, { cause: err });
        }
      };
    },
  });
  return { client, issued, close: () => real.close() };
}
