// Routing benchmark (issue 3): simulated CPOs push CDRs through the hub to simulated eMSPs.
//   end-to-end delivered CDR/s sustained for --seconds with zero loss,
//   p50/p99 accept latency at a fixed offered --rate CDR/s,
//   the same CPOs pushing directly to the same eMSPs as the baseline.
// Run: node --import tsx scripts/bench-routing.ts [--seconds 60] [--rate 1000] [--concurrency 64]
import http from 'node:http';
import { SimPartner } from '../src/sim/partner.ts';
import { call } from '../src/sim/http.ts';
import { benchEnv, flag, percentile, startHubProcess, stopProcess, type BenchResult } from './bench-support.ts';
import { freePort as freePortNumber } from '../src/sim/freePort.ts';
import { specExample } from '../ocpi/testing/sharedFixtures.ts';

const cdrTemplate = specExample('cdr_example.json');

interface Target {
  url: string;
  token: string;
  headers: Record<string, string>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(target: Target, body: string): Promise<{ status: number; ocpi: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...target.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Token ${Buffer.from(target.token).toString('base64')}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let ocpi = 0;
          try {
            ocpi = JSON.parse(Buffer.concat(chunks).toString()).status_code;
          } catch {
            ocpi = 0;
          }
          resolve({ status: res.statusCode ?? 0, ocpi, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function cdrBody(cpo: SimPartner, emsp: SimPartner, id: string): string {
  const cpoRole = cpo.roles[0];
  const emspRole = emsp.roles[0];
  return JSON.stringify({
    ...cdrTemplate,
    id,
    country_code: cpoRole.country_code,
    party_id: cpoRole.party_id,
    cdr_token: { ...cdrTemplate.cdr_token, country_code: emspRole.country_code, party_id: emspRole.party_id, uid: `U${id}`, contract_id: `${emspRole.country_code}-${emspRole.party_id}-${id}` },
  });
}

interface Lane {
  cpo: SimPartner;
  emsp: SimPartner;
  target: Target;
}

/** Closed loop: `concurrency` requests in flight for `seconds`; returns accepted ids and timing. */
async function closedLoop(lanes: Lane[], seconds: number, concurrency: number, prefix: string) {
  const accepted: string[] = [];
  let failed = 0;
  let n = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const lane = lanes[(n + worker) % lanes.length];
        const id = `${prefix}${n++}`;
        const result = await post(lane.target, cdrBody(lane.cpo, lane.emsp, id)).catch(() => ({ status: 0, ocpi: 0, ms: 0 }));
        if (result.ocpi === 1000) accepted.push(id);
        else failed++;
      }
    }),
  );
  return { accepted, failed, seconds: (performance.now() - started) / 1000 };
}

/** Open loop at a fixed offered rate: latency is what a CPO sees, not what the hub can absorb. */
async function openLoop(lanes: Lane[], rate: number, seconds: number, prefix: string) {
  const latencies: number[] = [];
  let failed = 0;
  const total = rate * seconds;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const lane = lanes[i % lanes.length];
    inFlight.push(
      post(lane.target, cdrBody(lane.cpo, lane.emsp, `${prefix}${i}`)).then(
        (r) => {
          if (r.ocpi === 1000) latencies.push(r.ms);
          else failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed, count: latencies.length };
}

export async function benchRouting(options: { seconds: number; rate: number; latencySeconds: number; concurrency: number; hubProcesses: string[] }): Promise<BenchResult[]> {
  const env = await benchEnv();
  const port = await freePortNumber();
  const processes = [];
  try {
    for (const roles of options.hubProcesses) processes.push(await startHubProcess(env.env, roles, roles.includes('web') ? port : await freePortNumber()));
    const hubUrl = `http://127.0.0.1:${port}`;
    const received = new Map<string, number>();
    const count = (r: { method: string; path: string; body: unknown }, answer: { status: number }) => {
      if (answer.status === 200 && r.method === 'POST' && r.path.endsWith('/cdrs')) {
        const id = (r.body as { id: string }).id;
        received.set(id, (received.get(id) ?? 0) + 1);
      }
    };
    const join = async (role: 'CPO' | 'EMSP', cc: string, pid: string) => {
      const partner = await new SimPartner([{ role, country_code: cc, party_id: pid }], { record: false }).start();
      partner.onRequest = count;
      const invite = await call(`${hubUrl}/admin/partners/invitations`, { method: 'POST', body: { name: pid }, headers: { Authorization: `Bearer ${env.env.ADMIN_TOKEN}` } });
      const result = await partner.register(invite.body.data.versions_url, invite.body.data.token);
      if (result.body?.status_code !== 1000) throw new Error(`registration failed: ${result.text}`);
      return partner;
    };
    const cpos = [await join('CPO', 'NL', 'BC1'), await join('CPO', 'DE', 'BC2')];
    const emsps = [await join('EMSP', 'NL', 'BE1'), await join('EMSP', 'BE', 'BE2')];
    const viaHub: Lane[] = cpos.flatMap((cpo) =>
      emsps.map((emsp) => ({
        cpo,
        emsp,
        target: { url: `${hubUrl}/ocpi/2.2.1/receiver/cdrs`, token: cpo.hubToken!, headers: { 'OCPI-to-country-code': emsp.roles[0].country_code, 'OCPI-to-party-id': emsp.roles[0].party_id } },
      })),
    );
    const direct: Lane[] = viaHub.map((lane) => ({ ...lane, target: { url: `${lane.emsp.url}/ocpi/2.2.1/receiver/cdrs`, token: lane.emsp.issueToken(), headers: {} } }));

    // Warm-up: connections, JIT, lanes.
    await closedLoop(viaHub, 3, 16, 'warm-');
    await closedLoop(direct, 2, 16, 'dwarm-');

    // Throughput through the hub, then wait for every accepted CDR to arrive.
    const started = performance.now();
    const run = await closedLoop(viaHub, options.seconds, options.concurrency, 'tp-');
    const deadline = Date.now() + 180_000;
    let lastArrival = performance.now();
    while (run.accepted.some((id) => !received.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      lastArrival = performance.now();
    }
    const missing = run.accepted.filter((id) => !received.has(id)).length;
    const duplicates = run.accepted.filter((id) => (received.get(id) ?? 0) > 1).length;
    const hubRate = run.accepted.length / ((lastArrival - started) / 1000);
    process.stderr.write(`routing: ${run.accepted.length} CDRs accepted in ${run.seconds.toFixed(1)} s, all delivered after ${((lastArrival - started) / 1000).toFixed(1)} s; missing ${missing}, duplicates ${duplicates}, refused ${run.failed}\n`);

    const latency = await openLoop(viaHub, options.rate, options.latencySeconds, 'lat-');
    process.stderr.write(`routing: accept latency at ${options.rate}/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms (${latency.failed} refused)\n`);

    const baseline = await closedLoop(direct, Math.min(options.seconds, 30), options.concurrency, 'direct-');
    const directRate = baseline.accepted.length / baseline.seconds;
    process.stderr.write(`routing: direct ${directRate.toFixed(0)} CDR/s\n`);

    await Promise.all([...cpos, ...emsps].map((p) => p.stop()));
    return [
      { name: 'routing.throughput', value: Math.round(hubRate), unit: 'CDR/s', baseline: Math.round(directRate), ratio: round(hubRate / directRate), target: '>= 3000 CDR/s, ratio >= 0.35' },
      { name: 'routing.direct_throughput', value: Math.round(directRate), unit: 'CDR/s', baseline: null, ratio: null, target: null },
      { name: 'routing.lost', value: missing, unit: 'CDRs', baseline: null, ratio: null, target: '0' },
      { name: 'routing.accept_p50_ms', value: round(latency.p50), unit: 'ms', baseline: null, ratio: null, target: null },
      { name: 'routing.accept_p99_ms', value: round(latency.p99), unit: 'ms', baseline: null, ratio: null, target: `<= 25 ms at ${options.rate}/s` },
    ];
  } finally {
    for (const p of processes) await stopProcess(p);
    await env.cleanup();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const roles = args.includes('--split') ? ['web', 'worker'] : ['web,worker'];
  const results = await benchRouting({
    seconds: flag(args, 'seconds', 60),
    rate: flag(args, 'rate', 1000),
    latencySeconds: flag(args, 'latency-seconds', 20),
    concurrency: flag(args, 'concurrency', 64),
    hubProcesses: roles,
  });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
