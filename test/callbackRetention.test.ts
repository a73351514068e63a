// Retention of hub callbacks and their results (callbackRetention) against real Postgres: results
// finished more than CALLBACK_RETENTION_S ago are deleted, recent ones and pending ones (however
// old) stay; callbacks expired that long ago go with their results unless a result is still
// pending; 0 keeps everything; a backlog larger than a batch is deleted all the same; the worker's
// job prunes when it starts and says so only when it deleted something. A namespace of its own:
// pruning acts on every row of its database.
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../src/store/db.ts';
import { createLogger } from '../src/logger.ts';
import { pruneCallbacks, startCallbackRetention } from '../src/hub/commands/callbackRetention.ts';
import { parseConfig } from '../src/config.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';

let ns: OwnNamespace;
let db: Db;

const DAY_S = 86_400;
const RETENTION_S = 30 * DAY_S;

beforeAll(async () => {
  ns = await ownNamespace('cbretain');
  db = createDb(ns.env.DATABASE_URL, { max: 4 });
});

afterAll(async () => {
  await db?.destroy();
  await ns?.drop();
});

beforeEach(async () => {
  await db.raw('TRUNCATE callbacks, callback_relays');
});

const daysAgo = (days: number) => db.raw('now() - make_interval(secs => ?)', [days * DAY_S]);

/** A command callback from NL-KZ1 to NL-KZ2, expired `expiredDaysAgo` days ago (negative: still open; null: never expires). */
async function aCallback(expiredDaysAgo: number | null): Promise<string> {
  const id = randomUUID();
  await db('callbacks').insert({
    id,
    module: 'commands',
    response_url: 'https://emsp.example.com/kz/results',
    requester: 'NL-KZ1',
    responder: 'NL-KZ2',
    correlation_id: randomUUID(),
    created_at: daysAgo(Math.max(expiredDaysAgo ?? 400, 0) + 2),
    expires_at: expiredDaysAgo === null ? null : daysAgo(expiredDaysAgo),
  });
  return id;
}

type State = 'pending' | 'relayed' | 'refused' | 'expired';

/** A result of the callback, finished `finishedDaysAgo` days ago (pending ones were received then). */
async function aRelay(callbackId: string, state: State, finishedDaysAgo: number): Promise<string> {
  const [row] = await db('callback_relays')
    .insert({
      callback_id: callbackId,
      body: JSON.stringify({ result: 'ACCEPTED' }),
      state,
      attempts: 1,
      received_at: daysAgo(finishedDaysAgo),
      finished_at: state === 'pending' ? null : daysAgo(finishedDaysAgo),
    })
    .returning('id');
  return String(row.id);
}

const relayIds = async () => (await db('callback_relays').orderBy('id').pluck('id')).map(String);
const callbackIds = async () => (await db('callbacks').pluck('id')).sort();

describe('results', () => {
  it('finished ones are deleted past the retention, recent and pending ones (however old) stay', async () => {
    const open = await aCallback(-2);
    const old = await Promise.all((['relayed', 'refused', 'expired'] as const).map((state) => aRelay(open, state, 31)));
    const recent = await Promise.all((['relayed', 'refused', 'expired'] as const).map((state) => aRelay(open, state, 29)));
    const pending = [await aRelay(open, 'pending', 90), await aRelay(open, 'pending', 0)];

    const report = await pruneCallbacks(db, { retentionS: RETENTION_S });

    expect(report).toEqual({ relays: old.length, callbacks: 0 });
    expect(await relayIds()).toEqual([...recent, ...pending].sort((a, b) => Number(a) - Number(b)));
    expect(await callbackIds()).toEqual([open]);
  });
});

describe('callbacks', () => {
  it('expired past the retention without a pending result are deleted with their results', async () => {
    const gone = await aCallback(31);
    await aRelay(gone, 'relayed', 31);
    await aRelay(gone, 'refused', 1);

    const report = await pruneCallbacks(db, { retentionS: RETENTION_S });

    expect(report).toEqual({ relays: 2, callbacks: 1 });
    expect(await callbackIds()).toEqual([]);
    expect(await relayIds()).toEqual([]);
  });

  it('with a pending result, still open, recently expired or never expiring, are kept', async () => {
    const waiting = await aCallback(60);
    const pending = await aRelay(waiting, 'pending', 61);
    await aRelay(waiting, 'relayed', 61);
    const kept = [waiting, await aCallback(-1), await aCallback(29), await aCallback(null)];

    const report = await pruneCallbacks(db, { retentionS: RETENTION_S });

    expect(report).toEqual({ relays: 1, callbacks: 0 });
    expect(await callbackIds()).toEqual(kept.sort());
    expect(await relayIds()).toEqual([pending]);
  });
});

it('a retention of 0 deletes nothing', async () => {
  const gone = await aCallback(400);
  const relays = [await aRelay(gone, 'relayed', 400), await aRelay(gone, 'expired', 400)];

  expect(await pruneCallbacks(db, { retentionS: 0 })).toEqual({ relays: 0, callbacks: 0 });

  expect(await callbackIds()).toEqual([gone]);
  expect(await relayIds()).toEqual(relays);
});

it('a backlog larger than a batch is deleted all the same, a batch at a time', async () => {
  const open = await aCallback(-1);
  for (let i = 0; i < 10; i++) await aRelay(open, 'relayed', 40);
  const expired = [];
  for (let i = 0; i < 9; i++) expired.push(await aCallback(40));
  const pending = await aRelay(open, 'pending', 40);

  const report = await pruneCallbacks(db, { retentionS: RETENTION_S, batch: 4 });

  expect(report).toEqual({ relays: 10, callbacks: 9 });
  expect(await callbackIds()).toEqual([open]);
  expect(await relayIds()).toEqual([pending]);
});

describe('the worker role job', () => {
  /** The job as the worker role starts it, run once (at start) and stopped; returns its log lines. */
  async function runJob(retention: string): Promise<string[]> {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = parseConfig({ ...inject('testEnv'), ...ns.env, CALLBACK_RETENTION_S: retention });
    const job = startCallbackRetention({ db, config, log: createLogger({ level: 'info', destination: sink }) });
    await job.stop();
    return lines;
  }

  it('prunes at start and logs what it deleted, only when it deleted something', async () => {
    const gone = await aCallback(31);
    await aRelay(gone, 'relayed', 31);

    const first = await runJob(String(RETENTION_S));
    expect(await callbackIds()).toEqual([]);
    const pruned = first.map((l) => JSON.parse(l)).filter((l) => l.msg === 'callbacks and results past their retention pruned');
    expect(pruned).toMatchObject([{ level: 30, relays: 1, callbacks: 1, retentionS: RETENTION_S }]);

    expect(await runJob(String(RETENTION_S))).toEqual([]);
  });

  it('is off with CALLBACK_RETENTION_S=0', async () => {
    const gone = await aCallback(400);
    await aRelay(gone, 'relayed', 400);

    await runJob('0');

    expect(await callbackIds()).toEqual([gone]);
    expect(await relayIds()).toHaveLength(1);
  });
});
