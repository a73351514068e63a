// What the hub's use cases need from the outside world, built once per process (src/main.ts)
// or per test. Passing it explicitly keeps every use case testable against real services.
import type { Config } from './config.ts';
import type { Db } from './store/db.ts';
import type { Logger } from './logger.ts';
import type { TokenKeys } from './partners/tokenCrypto.ts';
import type { Bus } from './bus/nats.ts';
import type { PartyDirectory } from './hub/partyDirectory.ts';
import type { CdrWriter } from './store/cdrWriter.ts';

export interface HubDeps {
  config: Config;
  db: Db;
  log: Logger;
  keys: TokenKeys;
  bus: Bus;
  directory: PartyDirectory;
  cdrWriter: CdrWriter;
}
