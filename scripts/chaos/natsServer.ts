// nats-server processes of our own (a single server or a 3-node cluster), so resilience runs can
// kill and restart them without touching the NATS other work uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'node:net';
import { freePort as freePortNumber } from '../../src/sim/freePort.ts';

export class NatsNode {
  child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('nats-server', ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'ignore'] });
    await waitForPort(this.port, 20_000);
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    this.kill();
  }
}

/** One JetStream server, or a cluster of `size` servers routing to each other. */
export async function natsCluster(size: number): Promise<NatsNode[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ocpi-nats-'));
  const ports = await Promise.all(Array.from({ length: size }, () => freePortNumber()));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePortNumber()));
  const nodes = ports.map((port, i) => {
    const name = `n${i + 1}`;
    const lines = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port}`,
      `jetstream { store_dir: "${path.join(dir, name)}" }`,
    ];
    if (size > 1) {
      const routes = clusterPorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`);
      lines.push(`cluster { name: ocpi, listen: 127.0.0.1:${clusterPorts[i]}, routes: [${routes.join(', ')}] }`);
    }
    const file = path.join(dir, `${name}.conf`);
    writeFileSync(file, lines.join('\n'));
    return new NatsNode(name, port, file);
  });
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
