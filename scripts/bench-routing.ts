// Routing benchmark (issue 3): simulated CPOs push CDRs through the hub to simulated eMSPs.
//   end-to-end delivered CDR/s sustained for --seconds with zero loss,
//   p50/p99 accept latency at a fixed offered --rate CDR/s,
//   the same CPOs pushing directly to the same eMSPs as the baseline.
// Run: node --import tsx scripts/bench-routing.ts [--seconds 60] [--rate 1000] [--latency-seconds 60] [--concurrency 64] [--split]
import { execFileSync, type ChildProcess } from 'node:child_process';
import { SimPartner } from '../src/sim/partner.ts';
import { call } from '../src/sim/http.ts';
import { benchEnv, cpuSeconds, flag, startHubProcess, stopProcess, untilStreamIdle, type BenchResult } from './bench-support.ts';
import { startLoadProcess, type ClosedResult, type LoadTarget, type OpenResult } from './bench-load.ts';
import { freePort as freePortNumber } from '../src/sim/freePort.ts';
import { specExample } from '../ocpi/testing/sharedFixtures.ts';

const cdrTemplate = specExample('cdr_example.json');

/** A CDR body for one CPO → eMSP lane, split around its id (bench-load fills it in). */
function cdrBodyParts(cpo: SimPartner, emsp: SimPartner): string[] {
  const cpoRole = cpo.roles[0];
  const emspRole = emsp.roles[0];
  const json = JSON.stringify({
    ...cdrTemplate,
    id: ID,
    country_code: cpoRole.country_code,
    party_id: cpoRole.party_id,
    cdr_token: { ...cdrTemplate.cdr_token, country_code: emspRole.country_code, party_id: emspRole.party_id, uid: `U${ID}`, contract_id: `${emspRole.country_code}-${emspRole.party_id}-${ID}` },
  });
  return json.split(ID);
}

const ID = '__ID__';

function target(url: string, token: string, headers: Record<string, string>, bodyParts: string[]): LoadTarget {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    headers: [`Authorization: Token ${Buffer.from(token).toString('base64')}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)],
    bodyParts,
  };
}

export async function benchRouting(options: { seconds: number; rate: number; latencySeconds: number; concurrency: number; hubProcesses: string[] }): Promise<BenchResult[]> {
  // Web and worker share the two cores: the worker yields to accepts (a deployment setting, see README).
  const env = await benchEnv({ BACKGROUND_NICE: '10' });
  const port = await freePortNumber();
  const processes: ChildProcess[] = [];
  const load = startLoadProcess();
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
    const pairs = cpos.flatMap((cpo) => emsps.map((emsp) => ({ cpo, emsp, body: cdrBodyParts(cpo, emsp) })));
    const viaHub = pairs.map(({ cpo, emsp, body }) =>
      target(`${hubUrl}/ocpi/2.2.1/receiver/cdrs`, cpo.hubToken!, { 'OCPI-to-country-code': emsp.roles[0].country_code, 'OCPI-to-party-id': emsp.roles[0].party_id, 'OCPI-from-country-code': cpo.roles[0].country_code, 'OCPI-from-party-id': cpo.roles[0].party_id }, body),
    );
    const direct = pairs.map(({ emsp, body }) => target(`${emsp.url}/ocpi/2.2.1/receiver/cdrs`, emsp.issueToken(), {}, body));
    const closed = (targets: LoadTarget[], seconds: number, concurrency: number, prefix: string) => load.run<ClosedResult>({ kind: 'closed', targets, seconds, concurrency, prefix });

    // Warm-up: connections, JIT, lanes.
    await closed(viaHub, 3, 16, 'warm-');
    await closed(direct, 2, 16, 'dwarm-');

    // Throughput through the hub, then wait for every accepted CDR to arrive.
    const components = { hub: processes.map((p) => p.pid!), ...Object.fromEntries(options.hubProcesses.map((roles, i) => [`hub:${roles}`, [processes[i].pid!]])), load: [load.child.pid!], emsps: [process.pid], nats: 'nats-server', postgres: 'postgres' };
    const cpuBefore = cpuSeconds(components);
    const started = performance.now();
    const run = await closed(viaHub, options.seconds, options.concurrency, 'tp-');
    if (run.firstFailure) process.stderr.write(`routing: first refusal: ${run.firstFailure}\n`);
    const deadline = Date.now() + 180_000;
    let lastArrival = performance.now();
    while (run.accepted.some((id) => !received.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      lastArrival = performance.now();
    }
    const cpuAfter = cpuSeconds(components);
    const missing = run.accepted.filter((id) => !received.has(id)).length;
    const duplicates = run.accepted.filter((id) => (received.get(id) ?? 0) > 1).length;
    const hubRate = run.accepted.length / ((lastArrival - started) / 1000);
    const cpuPerCdr = Object.fromEntries(Object.keys(components).map((c) => [c, (((cpuAfter[c] - cpuBefore[c]) * 1000) / run.accepted.length).toFixed(3)]));
    process.stderr.write(`routing: ${run.accepted.length} CDRs accepted in ${run.seconds.toFixed(1)} s, all delivered after ${((lastArrival - started) / 1000).toFixed(1)} s; missing ${missing}, duplicates ${duplicates}, refused ${run.failed}\n`);
    process.stderr.write(`routing: CPU ms per CDR ${JSON.stringify(cpuPerCdr)}\n`);

    // The latency phase measures a steady 1,000/s, not the aftermath of the throughput phase: every
    // booking and delivery of that phase done, and its writes on disk. The kernel writes dirty pages
    // back 30 s after they were written; without the sync that burst (from a phase at twice the
    // rate) lands in this phase and stalls PostgreSQL's commits behind it. The phase runs longer than
    // those 30 s, so it does include the write-back of its own CDRs, as a hub at 1,000/s has it.
    const settleMs = await untilStreamIdle(env.env);
    execFileSync('sync');
    process.stderr.write(`routing: bookings and deliveries done ${(settleMs / 1000).toFixed(1)} s after the last delivery; dirty pages synced\n`);
    const latency = await load.run<OpenResult>({ kind: 'open', targets: viaHub, rate: options.rate, seconds: options.latencySeconds, prefix: 'lat-' });
    process.stderr.write(`routing: accept latency at ${options.rate}/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms (${latency.failed} refused, ${latency.lateStarts} sent late)\n`);

    const baseline = await closed(direct, Math.min(options.seconds, 30), options.concurrency, 'direct-');
    const directRate = baseline.accepted.length / baseline.seconds;
    process.stderr.write(`routing: direct ${directRate.toFixed(0)} CDR/s\n`);

    await Promise.all([...cpos, ...emsps].map((p) => p.stop()));
    return [
      { name: 'routing.throughput', value: Math.round(hubRate), unit: 'CDR/s', baseline: Math.round(directRate), ratio: round(hubRate / directRate), target: '>= 3000 CDR/s, ratio >= 0.35' },
      { name: 'routing.direct_throughput', value: Math.round(directRate), unit: 'CDR/s', baseline: null, ratio: null, target: null },
      { name: 'routing.lost', value: missing, unit: 'CDRs', baseline: null, ratio: null, target: '0' },
      { name: 'routing.duplicates', value: duplicates, unit: 'CDRs', baseline: null, ratio: null, target: null },
      { name: 'routing.accept_p50_ms', value: round(latency.p50), unit: 'ms', baseline: null, ratio: null, target: null },
      { name: 'routing.accept_p99_ms', value: round(latency.p99), unit: 'ms', baseline: null, ratio: null, target: `<= 25 ms at ${options.rate}/s` },
      { name: 'routing.hub_cpu_ms_per_cdr', value: Number(cpuPerCdr.hub), unit: 'ms', baseline: null, ratio: null, target: null },
    ];
  } finally {
    load.stop();
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
    latencySeconds: flag(args, 'latency-seconds', 60),
    concurrency: flag(args, 'concurrency', 64),
    hubProcesses: roles,
  });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
