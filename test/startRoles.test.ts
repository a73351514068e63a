// `hub start --roles …` as real processes: with BACKGROUND_NICE set, one without the web role
// lowers its CPU priority, so deliveries and bookings yield to the CPOs' requests on shared cores;
// a process with the web role, or any process by default, keeps its priority.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchEnv, startHubProcess, stopProcess, type BenchEnv } from '../scripts/bench-support.ts';
import { freePort } from '../src/sim/freePort.ts';

/** Field 19 of /proc/PID/stat is the nice value (after the parenthesised command name). */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);

let env: BenchEnv;
const started: ChildProcess[] = [];

beforeAll(async () => {
  env = await benchEnv();
}, 60_000);

afterAll(async () => {
  for (const p of started) await stopProcess(p);
  await env?.cleanup();
});

describe('hub start --roles', () => {
  it('runs a worker-only process at BACKGROUND_NICE and a web process unchanged', async () => {
    const base = niceOf(process.pid);
    const niced = { ...env.env, BACKGROUND_NICE: '10' };
    const worker = await startHubProcess(niced, 'worker', await freePort());
    const web = await startHubProcess(niced, 'web', await freePort());
    const quiet = await startHubProcess(env.env, 'worker', await freePort());
    started.push(worker, web, quiet);
    expect(niceOf(worker.pid!)).toBe(Math.max(base, 10));
    expect(niceOf(web.pid!)).toBe(base);
    expect(niceOf(quiet.pid!)).toBe(base);
  }, 120_000);
});
