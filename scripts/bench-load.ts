// The benchmarks' load generator: simulated CPOs posting CDRs, in a process of their own so that
// the side under test (the hub, or an eMSP directly) is not starved by the client. It speaks
// HTTP/1.1 over raw keep-alive sockets with pre-built request heads: node:http's client costs
// more CPU per request than a hub hop, which would make the client the thing being measured.
//
// Driven over IPC by bench-routing.ts: { kind: 'closed' | 'open', … } → one result message.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from './bench-support.ts';

export interface LoadTarget {
  host: string;
  port: number;
  path: string;
  /** Header lines (without CRLF) sent with every request: Authorization, OCPI-to-*, … */
  headers: string[];
  /** The CDR body split around its id: bodyParts.join(id). */
  bodyParts: string[];
}

export type LoadCommand =
  | { kind: 'closed'; targets: LoadTarget[]; seconds: number; concurrency: number; prefix: string }
  | { kind: 'open'; targets: LoadTarget[]; seconds: number; rate: number; prefix: string };

export interface ClosedResult {
  accepted: string[];
  failed: number;
  seconds: number;
  firstFailure: string | null;
}

export interface OpenResult {
  p50: number;
  p99: number;
  count: number;
  failed: number;
  lateStarts: number;
}

interface Response {
  status: number;
  body: string;
}

/** One keep-alive connection with at most one request in flight (no pipelining). */
class Connection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((r: Response) => void) | null = null;
  private failWaiting: ((e: Error) => void) | null = null;
  readonly ready: Promise<void>;

  constructor(private readonly target: LoadTarget) {
    this.socket = net.connect(target.port, target.host);
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.parse();
    });
    this.socket.on('error', (err) => this.failWaiting?.(err));
    this.socket.on('close', () => this.failWaiting?.(new Error('connection closed')));
  }

  send(id: string): Promise<Response> {
    const body = this.target.bodyParts.join(id);
    const head = `POST ${this.target.path} HTTP/1.1\r\nHost: ${this.target.host}:${this.target.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${this.target.headers.map((h) => `${h}\r\n`).join('')}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
      this.socket.write(head + body);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffer.subarray(0, headEnd).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: string;
    let consumed: number;
    if (length) {
      consumed = headEnd + 4 + Number(length[1]);
      if (this.buffer.length < consumed) return;
      body = this.buffer.subarray(headEnd + 4, consumed).toString('utf8');
    } else {
      // Chunked: wait for the last chunk, then join the chunks.
      const parts: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const lineEnd = this.buffer.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = parseInt(this.buffer.subarray(at, lineEnd).toString('latin1'), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    }
    this.buffer = this.buffer.subarray(consumed);
    const resolve = this.waiting;
    this.waiting = null;
    this.failWaiting = null;
    resolve?.({ status, body });
  }
}

const ocpiStatus = (body: string) => Number(/"status_code":(\d+)/.exec(body)?.[1] ?? 0);

async function connections(targets: LoadTarget[], count: number): Promise<Connection[]> {
  const list = Array.from({ length: count }, (_, i) => new Connection(targets[i % targets.length]));
  await Promise.all(list.map((c) => c.ready));
  return list;
}

/** `concurrency` connections, each sending its next CDR as soon as the previous one is answered. */
async function closedLoop(command: Extract<LoadCommand, { kind: 'closed' }>): Promise<ClosedResult> {
  const conns = await connections(command.targets, command.concurrency);
  const accepted: string[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  let n = 0;
  const started = performance.now();
  const end = started + command.seconds * 1000;
  await Promise.all(
    conns.map(async (conn) => {
      while (performance.now() < end) {
        const id = `${command.prefix}${n++}`;
        const response = await conn.send(id).catch((err: Error) => ({ status: 0, body: err.message }));
        if (response.status >= 200 && response.status < 300 && ocpiStatus(response.body) === 1000) accepted.push(id);
        else {
          failed++;
          firstFailure ??= `${response.status} ${response.body.slice(0, 300)}`;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  conns.forEach((c) => c.close());
  return { accepted, failed, seconds, firstFailure };
}

/**
 * A fixed offered rate, whatever the answers: latency is what a CPO sees, not what the hub can
 * absorb. Requests go out on idle connections; a new one is opened when all are busy.
 */
async function openLoop(command: Extract<LoadCommand, { kind: 'open' }>): Promise<OpenResult> {
  const idle = await connections(command.targets, Math.min(64, Math.max(8, command.rate / 50)));
  const latencies: number[] = [];
  // BENCH_LATENCY_TRACE=FILE: each accepted request's send time (ms into the phase) and latency, to
  // see when in the phase the slow ones happen.
  const trace: string[] | null = process.env.BENCH_LATENCY_TRACE ? [] : null;
  let failed = 0;
  let lateStarts = 0;
  const total = Math.round(command.rate * command.seconds);
  const inFlight = new Set<Promise<void>>();
  const all: Connection[] = [...idle];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / command.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -5) lateStarts++;
    let conn = idle.pop();
    if (!conn) {
      conn = new Connection(command.targets[i % command.targets.length]);
      all.push(conn);
      await conn.ready;
    }
    const sent = performance.now();
    const c = conn;
    const task = c.send(`${command.prefix}${i}`).then(
      (r) => {
        if (r.status >= 200 && r.status < 300 && ocpiStatus(r.body) === 1000) {
          latencies.push(performance.now() - sent);
          trace?.push(`${(sent - started).toFixed(1)} ${(performance.now() - sent).toFixed(2)}`);
        }
        else failed++;
        idle.push(c);
      },
      () => void failed++,
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }
  await Promise.all(inFlight);
  all.forEach((c) => c.close());
  // The first line gives the phase's start as epoch ms, to line the trace up with other processes' logs.
  if (trace) writeFileSync(process.env.BENCH_LATENCY_TRACE!, `# start_epoch_ms ${(performance.timeOrigin + started).toFixed(1)}\n${trace.join('\n')}\n`);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length, failed, lateStarts };
}

/** Starts the load generator process; `run` sends it one command and waits for its result. */
export function startLoadProcess(): { child: ChildProcess; run<T extends ClosedResult | OpenResult>(command: LoadCommand): Promise<T>; stop(): void } {
  const loader = fileURLToPath(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--import', loader, fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    child,
    run: <T>(command: LoadCommand) =>
      new Promise<T>((resolve, reject) => {
        child.once('message', (m) => resolve(m as T));
        child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
        child.send(command);
      }),
    stop: () => child.kill(),
  };
}

if (process.argv.includes('--serve')) {
  process.on('message', async (command: LoadCommand) => {
    const result = command.kind === 'closed' ? await closedLoop(command) : await openLoop(command);
    process.send!(result);
  });
  process.on('disconnect', () => process.exit(0));
}
