// Resilience scenario (issue 8): simulated CPOs push CDRs and evolving sessions through hub
// processes (web, worker, pipelines) that are SIGKILLed at random moments and restarted, while
// NATS itself is restarted (single server) or loses a node (3-node cluster, streams with 3
// replicas, two web and two worker processes). Afterwards every CDR that got status 1000 must have
// reached its eMSP, been booked exactly once and counted once in ClickHouse, and no session update
// may have arrived out of order. Used by test/resilience/*.test.ts (short) and as a command (long):
//   node --import tsx scripts/chaos/crashScenario.ts [--cdrs 20000] [--cluster]
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createClickHouse } from '../../src/store/clickhouse.ts';
import { createDb } from '../../src/store/db.ts';
import { SimPartner } from '../../src/sim/partner.ts';
import { call } from '../../src/sim/http.ts';
import { Random } from '../../src/sim/random.ts';
import { freePort as freePortNumber } from '../../src/sim/freePort.ts';
import { startHubProcess, stopProcess, flag } from '../bench-support.ts';
import { natsCluster, type NatsNode } from './natsServer.ts';
import { specExample } from '../../ocpi/testing/sharedFixtures.ts';

type Json = Record<string, any>;

export interface ScenarioOptions {
  /** Environment with DATABASE_URL, CLICKHOUSE_*, ADMIN_TOKEN, TOKEN_ENCRYPTION_KEY (migrated databases). */
  env: Record<string, string>;
  cdrs: number;
  sessions: number;
  patchesPerSession: number;
  /** Random SIGKILLs of hub processes during the load. */
  kills: number;
  cluster: boolean;
  seed?: number;
  /** First letter of the partners' party ids, so scenarios can share a database. */
  idLetter?: string;
  log?: (line: string) => void;
}

export interface ScenarioReport {
  cdrsSent: number;
  cdrsAcknowledged: number;
  cdrsDelivered: number;
  cdrsDeliveredMoreThanOnce: number;
  cdrsMissing: number;
  cdrsBooked: number;
  cdrsBookedTwice: number;
  cdrsInClickHouse: number;
  sessionUpdatesOutOfOrder: number;
  kills: string[];
  seconds: number;
}

interface HubProcess {
  roles: string;
  port: number;
  child: ChildProcess | undefined;
}

const cdrTemplate = specExample('cdr_example.json');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export async function crashScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const random = new Random(options.seed ?? 42);
  const started = Date.now();
  const nats = await natsCluster(options.cluster ? 3 : 1);
  const prefix = `CHAOS${Date.now().toString(36).toUpperCase()}`;
  const webPorts = await Promise.all((options.cluster ? [0, 1] : [0]).map(() => freePortNumber()));
  const env: Record<string, string> = {
    ...options.env,
    NATS_URL: nats.map((n) => n.url).join(','),
    NATS_STREAM_PREFIX: prefix,
    NATS_REPLICAS: options.cluster ? '3' : '1',
    DELIVERY_BACKOFF_BASE_MS: '200',
    DELIVERY_BACKOFF_MAX_MS: '2000',
    DELIVERY_PARTITIONS: '4',
    LOG_LEVEL: 'error',
    HUB_PUBLIC_URL: `http://127.0.0.1:${webPorts[0]}`,
  };
  // Kinds alternate, so any two consecutive kills hit a web and a worker process.
  const processes: HubProcess[] = options.cluster
    ? [
        { roles: 'web', port: webPorts[0], child: undefined },
        { roles: 'worker', port: 0, child: undefined },
        { roles: 'web', port: webPorts[1], child: undefined },
        { roles: 'worker', port: 0, child: undefined },
      ]
    : [
        { roles: 'web', port: webPorts[0], child: undefined },
        { roles: 'worker', port: 0, child: undefined },
        { roles: 'pipelines', port: 0, child: undefined },
      ];
  const startProcess = async (p: HubProcess) => {
    // A JetStream cluster re-electing leaders on a busy machine can take a while to accept a new
    // consumer; a process whose start-up timed out exits, and is started again as a supervisor would.
    for (let attempt = 1; ; attempt++) {
      try {
        p.child = await startHubProcess(env, p.roles, p.port || (await freePortNumber()), 180_000);
        return;
      } catch (err) {
        if (attempt === 3 || !/exited with/.test(String(err))) throw err;
        log(`chaos: hub ${p.roles} exited during start-up (${String(err)}); starting it again`);
      }
    }
  };
  const partners: SimPartner[] = [];
  const db = createDb(env.DATABASE_URL, { max: 2 });
  const clickhouse = createClickHouse(env.CLICKHOUSE_URL, env.CLICKHOUSE_DATABASE);
  try {
    for (const p of processes) await startProcess(p);
    const hubUrl = `http://127.0.0.1:${webPorts[0]}`;

    // Partners register through the normal invite flow.
    const received = new Map<string, number>();
    const sessionUpdates = new Map<string, number[]>();
    const onRequest = (r: { method: string; path: string; body: unknown }, answer: { status: number }) => {
      if (answer.status !== 200) return;
      if (r.method === 'POST' && r.path.endsWith('/receiver/cdrs')) {
        const id = (r.body as Json).id as string;
        received.set(id, (received.get(id) ?? 0) + 1);
      }
      const session = /\/receiver\/sessions\/[^/]+\/[^/]+\/([^/?]+)$/.exec(r.path);
      if (session) {
        const list = sessionUpdates.get(session[1]) ?? [];
        list.push(r.method === 'PUT' ? 0 : ((r.body as Json).kwh as number));
        sessionUpdates.set(session[1], list);
      }
    };
    const join = async (role: 'CPO' | 'EMSP', cc: string, pid: string) => {
      const partner = await new SimPartner([{ role, country_code: cc, party_id: pid }], { record: false }).start();
      partner.onRequest = onRequest;
      const invitation = await call(`${hubUrl}/admin/partners/invitations`, { method: 'POST', body: { name: pid }, headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
      const result = await partner.register(invitation.body.data.versions_url, invitation.body.data.token);
      if (result.body?.status_code !== 1000) throw new Error(`registration failed: ${result.text}`);
      partners.push(partner);
      return partner;
    };
    const l = options.idLetter ?? 'X';
    const cpos = [await join('CPO', 'NL', `${l}C1`), await join('CPO', 'DE', `${l}C2`)];
    const emsps = [await join('EMSP', 'NL', `${l}E1`), await join('EMSP', 'BE', `${l}E2`)];

    // A CPO keeps trying until the hub answers 1000 (or refuses the content): a crash of the
    // process it talks to only delays it. It spreads over the web processes like a load balancer.
    let sent = 0;
    const acknowledged: string[] = [];
    const push = async (cpo: SimPartner, method: string, path: string, body: Json, to: SimPartner): Promise<boolean> => {
      for (let attempt = 0; attempt < 400; attempt++) {
        const port = webPorts[(attempt + sent) % webPorts.length];
        const status = await send(port, cpo.hubToken!, method, path, body, to).catch(() => 0);
        if (status === 1000) return true;
        if (status >= 2000 && status < 3000) return false;
        await new Promise((r) => setTimeout(r, 50 + attempt * 10));
      }
      return false;
    };

    const kills: string[] = [];
    // The load advances in step with the kills, so that every kill lands in the middle of traffic
    // however long a restart takes: share `done` of the work may be sent once `done` of the kills happened.
    const allowed = (done: number) => done <= (kills.length + 1) / (options.kills + 1);
    const waitTurn = async (done: number) => {
      while (!allowed(done)) await new Promise((r) => setTimeout(r, 50));
    };
    const chaos = (async () => {
      const natsRestartAt = Math.floor(options.kills / 2);
      const offset = random.int(0, processes.length - 1);
      let processKills = 0;
      for (let k = 0; k < options.kills; k++) {
        await new Promise((r) => setTimeout(r, 700 + random.int(0, 1000)));
        if (k === natsRestartAt) {
          const node = random.pick(nats);
          log(`chaos: SIGKILL nats ${node.name}`);
          node.kill();
          await new Promise((r) => setTimeout(r, 1000));
          await node.start();
          kills.push(`nats:${node.name}`);
          continue;
        }
        // Every kind of process gets killed: go round the list, starting at a random one.
        const victim = processes[(processKills++ + offset) % processes.length];
        log(`chaos: SIGKILL hub ${victim.roles}`);
        victim.child?.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 300 + random.int(0, 700)));
        await startProcess(victim);
        kills.push(victim.roles);
      }
    })();

    // Load: CDRs and evolving sessions, concurrently.
    const cdrIds = Array.from({ length: options.cdrs }, (_, i) => `K${prefix.slice(-6)}${i}`);
    let next = 0;
    const cdrLoad = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < cdrIds.length) {
          await waitTurn(next / cdrIds.length);
          if (next >= cdrIds.length) break;
          const id = cdrIds[next++];
          const cpo = cpos[next % cpos.length];
          const emsp = emsps[(next >> 1) % emsps.length];
          sent++;
          const body = { ...cdrTemplate, id, country_code: cpo.roles[0].country_code, party_id: cpo.roles[0].party_id, cdr_token: { ...cdrTemplate.cdr_token, country_code: emsp.roles[0].country_code, party_id: emsp.roles[0].party_id } };
          if (await push(cpo, 'POST', '/receiver/cdrs', body, emsp)) acknowledged.push(id);
        }
      }),
    );
    const sessionLoad = Promise.all(
      Array.from({ length: options.sessions }, async (_, s) => {
        const cpo = cpos[s % cpos.length];
        const emsp = emsps[s % emsps.length];
        const id = `S${prefix.slice(-6)}${s}`;
        const owner = cpo.roles[0];
        const path = `/receiver/sessions/${owner.country_code}/${owner.party_id}/${id}`;
        const session = { ...specExample('session_example_1_simple_start.json'), country_code: owner.country_code, party_id: owner.party_id, id, kwh: 0 };
        await push(cpo, 'PUT', path, session, emsp);
        for (let i = 1; i <= options.patchesPerSession; i++) {
          await waitTurn(i / (options.patchesPerSession + 1));
          await push(cpo, 'PATCH', path, { kwh: i, last_updated: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }, emsp);
        }
      }),
    );
    await Promise.all([cdrLoad, sessionLoad, chaos]);
    for (const p of processes) if (!p.child || p.child.exitCode !== null) await startProcess(p);
    log(`load done: ${acknowledged.length}/${sent} CDRs acknowledged; waiting for deliveries, bookings and ClickHouse`);

    // Drain: deliveries, bookings, ClickHouse rows.
    const deadline = Date.now() + 240_000;
    const countBooked = async () => {
      const rows = await db('clearing_bookings').whereIn('cdr_id', acknowledged).select('cdr_id').count<{ cdr_id: string; count: string }[]>('* as count').groupBy('cdr_id');
      return { booked: rows.length, twice: rows.filter((r) => Number(r.count) > 1).length };
    };
    const countClickHouse = async () => {
      if (options.cluster) return acknowledged.length; // no pipelines process in the cluster run
      const result = await clickhouse.query({ query: `SELECT count() AS n FROM (SELECT id FROM cdrs FINAL WHERE id LIKE 'K${prefix.slice(-6)}%')`, format: 'JSONEachRow' });
      return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
    };
    let booked = { booked: 0, twice: 0 };
    let inClickHouse = 0;
    while (Date.now() < deadline) {
      booked = await countBooked();
      inClickHouse = await countClickHouse();
      const delivered = acknowledged.filter((id) => received.has(id)).length;
      if (delivered === acknowledged.length && booked.booked === acknowledged.length && inClickHouse >= acknowledged.length) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Delivery is at least once: after a crash a receiver may get the tail of an object's updates
    // again (in order). Out of order means an update arriving for the first time before an earlier
    // one, or a receiver left with anything but the latest state.
    let outOfOrder = 0;
    for (const updates of sessionUpdates.values()) {
      const firstSeen = updates.filter((v, i) => updates.indexOf(v) === i);
      for (let i = 1; i < firstSeen.length; i++) if (firstSeen[i] < firstSeen[i - 1]) outOfOrder++;
      if (updates[updates.length - 1] !== Math.max(...updates)) outOfOrder++;
    }
    return {
      cdrsSent: sent,
      cdrsAcknowledged: acknowledged.length,
      cdrsDelivered: acknowledged.filter((id) => received.has(id)).length,
      cdrsDeliveredMoreThanOnce: acknowledged.filter((id) => (received.get(id) ?? 0) > 1).length,
      cdrsMissing: acknowledged.filter((id) => !received.has(id)).length,
      cdrsBooked: booked.booked,
      cdrsBookedTwice: booked.twice,
      cdrsInClickHouse: inClickHouse,
      sessionUpdatesOutOfOrder: outOfOrder,
      kills,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    for (const p of processes) if (p.child) await stopProcess(p.child);
    await Promise.all(partners.map((p) => p.stop()));
    await Promise.all(nats.map((n: NatsNode) => n.stop()));
    await db.destroy();
    await clickhouse.close();
  }
}

function send(port: number, token: string, method: string, path: string, body: Json, to: SimPartner): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: `/ocpi/2.2.1${path}`,
        method,
        timeout: 15_000,
        headers: {
          Authorization: `Token ${Buffer.from(token).toString('base64')}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
          'X-Request-ID': randomUUID(),
          'X-Correlation-ID': randomUUID(),
          'OCPI-to-country-code': to.roles[0].country_code,
          'OCPI-to-party-id': to.roles[0].party_id,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()).status_code ?? 0);
          } catch {
            resolve(0);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchEnv } = await import('../bench-support.ts');
  const args = process.argv.slice(2);
  const environment = await benchEnv();
  try {
    const report = await crashScenario({
      env: environment.env,
      cdrs: flag(args, 'cdrs', 20_000),
      sessions: flag(args, 'sessions', 50),
      patchesPerSession: flag(args, 'patches', 20),
      kills: flag(args, 'kills', 8),
      cluster: args.includes('--cluster'),
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await environment.cleanup();
  }
  process.exit(0);
}
