// Shared pieces of the benchmarks: an isolated environment (own database, stream prefix and
// ClickHouse database), hub processes started like an operator starts them, and result records.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../src/config.ts';
import { dropNamespace, migrateAll } from '../src/bootstrap.ts';
import { connectBus } from '../src/bus/nats.ts';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number | null;
  ratio?: number | null;
  target?: string | null;
}

export interface BenchEnv {
  env: Record<string, string>;
  config: Config;
  cleanup(): Promise<void>;
}

export async function benchEnv(overrides: Record<string, string> = {}): Promise<BenchEnv> {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const db = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ocpi_hub');
  db.pathname = `/ocpi_hub_bench_${run}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.toString(),
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_STREAM_PREFIX: `BENCH${run.toUpperCase()}`,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
    CLICKHOUSE_DATABASE: `ocpi_hub_bench_${run}`,
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ALLOW_PRIVATE_PARTNER_URLS: 'true',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  const config = parseConfig(env);
  await migrateAll(config);
  return {
    env,
    config,
    async cleanup() {
      await dropNamespace(config);
    },
  };
}

/** Starts `hub start --roles …` as its own process and waits until it reports that it runs. */
export async function startHubProcess(env: Record<string, string>, roles: string, port: number, timeoutMs = 60_000): Promise<ChildProcess> {
  // Through scripts/hub, exactly as an operator starts it (it execs node: the pid is the hub's).
  // HUB_NODE_OPTIONS, passed on in the environment, profiles the hub processes of a benchmark
  // (e.g. --cpu-prof --cpu-prof-dir=DIR; scripts/hub adds it to node's options).
  const child = spawn(`${repoRoot}scripts/hub`, ['start', '--roles', roles, '--no-services'], {
    env: { ...process.env, ...env, PORT: String(port), HUB_PUBLIC_URL: env.HUB_PUBLIC_URL ?? `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub (${roles}) did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4096);
      if (output.includes('OCPI hub running')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub (${roles}) exited with ${code} before it ran`));
    });
  });
  // HUB_STDOUT_DIR keeps each hub process's output (logs) for a look after a run.
  if (process.env.HUB_STDOUT_DIR) child.stdout!.pipe(createWriteStream(`${process.env.HUB_STDOUT_DIR}/${roles.replace(/,/g, '+')}-${child.pid}.log`));
  else child.stdout!.resume();
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/**
 * CPU seconds used so far by the processes of each component: node processes by pid, servers by
 * their command name (every postgres backend counts). Differences over a phase divided by the
 * CDRs moved give the CPU each component spends per CDR — the figure that says where to look.
 */
export function cpuSeconds(components: Record<string, number[] | string>): Record<string, number> {
  const ticks = (pid: number | string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  const byName = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    byName.set(name, (byName.get(name) ?? 0) + ticks(pid));
  }
  const hz = 100;
  return Object.fromEntries(
    Object.entries(components).map(([component, who]) => [component, (typeof who === 'string' ? (byName.get(who) ?? 0) : who.reduce((sum, pid) => sum + ticks(pid), 0)) / hz]),
  );
}

/**
 * Waits until no consumer of the bench's OCPI stream has anything pending or unacknowledged (every
 * delivery and booking of a phase done), so the next phase measures its own load, not the last one's.
 */
export async function untilStreamIdle(env: Record<string, string>, timeoutMs = 300_000): Promise<number> {
  const bus = await connectBus(env.NATS_URL, env.NATS_STREAM_PREFIX, 'bench-idle');
  const started = performance.now();
  try {
    for (;;) {
      let busy = 0;
      for await (const c of bus.jsm.consumers.list(bus.subjects.streams.ocpi)) busy += c.num_pending + c.num_ack_pending;
      if (busy === 0) return performance.now() - started;
      if (performance.now() - started > timeoutMs) throw new Error(`stream still busy after ${timeoutMs / 1000} s (${busy} messages pending)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await bus.close();
  }
}
