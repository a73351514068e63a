// `hub cdrs import` publishes CDRs straight onto the stream, deduplicated by the CDR's identity
// within the stream's window. A CDR id is a CiString: a file imported again with CDR1 spelled cdr1
// is the same CDR, reported as a duplicate, not published (and counted by analytics) a second time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { importCdrs } from '../../src/clearing/cdrImport.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { aCdr, aParty, clearingConfig } from './support.ts';

let ns: OwnNamespace;
let deps: HubDeps;

beforeAll(async () => {
  ns = await ownNamespace('qicase');
  deps = await buildDeps(clearingConfig(ns.env), createLogger({ level: 'silent' }), 'qi-case');
}, 60_000);

afterAll(async () => {
  if (deps) await closeDeps(deps);
  await ns?.drop();
});

describe('hub cdrs import of a CDR id in another case', () => {
  it('is a duplicate of the CDR imported before', async () => {
    const cpo = await aParty(deps.db, ['CPO']);
    const cdr = aCdr(cpo, { id: 'QI-Case-1' });
    expect(await importCdrs(deps, [cdr], { receiver: null })).toEqual({ published: 1, duplicates: 0 });
    expect(await importCdrs(deps, [{ ...cdr, id: 'qi-case-1' }], { receiver: null })).toEqual({ published: 0, duplicates: 1 });
  });
});
