// Starts the roles named on the command line in this process. Every role is stateless apart
// from Postgres, NATS and ClickHouse, so each scales by running more processes.
import { createServer } from 'node:http';
import type { Config } from './config.ts';
import type { HubDeps } from './deps.ts';
import { buildDeps, closeDeps } from './bootstrap.ts';
import { createApp } from './http/app.ts';
import { answerClientErrors } from './http/clientErrors.ts';
import { closeStalledKeepAlive, serverOptions } from './http/serverTimeouts.ts';
import { startDeliveryWorker } from './hub/delivery/deliveryWorker.ts';
import { startOutboxSweeper } from './hub/delivery/outboxSweeper.ts';
import { startCallbackRelayWorker } from './hub/commands/callbackRelayWorker.ts';
import { startCallbackRetention } from './hub/commands/callbackRetention.ts';
import { startBooker } from './clearing/booker.ts';
import { startReminders } from './billing/reminders.ts';
import { startRefundRetrier } from './clearing/refundRetrier.ts';
import { startPipelines } from '../pipelines/index.ts';

export const roleNames = ['web', 'worker', 'pipelines'] as const;
export type Role = (typeof roleNames)[number];

export interface RunningHub {
  deps: HubDeps;
  url: string;
  stop(): Promise<void>;
}

type Stopper = () => Promise<void>;

async function startWeb(deps: HubDeps, port: number): Promise<{ stop: Stopper; port: number }> {
  const app = createApp(deps);
  // Not app.listen: the timeouts' checking interval can only be given when the server is created.
  const server = createServer(serverOptions(deps.config), app.callback());
  await new Promise<void>((resolve, reject) => {
    server.listen(port, '0.0.0.0', () => resolve());
    server.once('error', reject);
  });
  answerClientErrors(server);
  closeStalledKeepAlive(server, deps.config);
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  deps.log.info({ role: 'web', port: actualPort }, 'web role listening');
  return {
    port: actualPort,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export async function startHub(config: Config, roles: readonly Role[], given?: HubDeps): Promise<RunningHub> {
  const deps = given ?? (await buildDeps(config, undefined, `ocpi-hub ${roles.join('+')}`));
  const stoppers: Stopper[] = [];
  let port = config.PORT;
  if (roles.includes('web')) {
    const web = await startWeb(deps, config.PORT);
    port = web.port;
    stoppers.push(web.stop);
  }
  if (roles.includes('worker')) {
    // Deliveries to receivers, booking of CDRs in the ledger, billing.
    const delivery = await startDeliveryWorker(deps);
    stoppers.push(delivery.stop);
    const booker = await startBooker(deps);
    stoppers.push(booker.stop);
    // CDRs stored but never published (the publish failed and the CPO did not POST again).
    const outbox = startOutboxSweeper(deps);
    stoppers.push(outbox.stop);
    // Command and charging profile results the requester's response_url did not take at once.
    const callbackRelays = startCallbackRelayWorker(deps);
    stoppers.push(callbackRelays.stop);
    // Callbacks and their results past CALLBACK_RETENTION_S, hourly.
    const callbackRetention = startCallbackRetention(deps);
    stoppers.push(callbackRetention.stop);
    // Statement emails, payment tracking and overdue reminders, and refunds PayPal has not taken yet, on a schedule.
    const billing = startReminders(deps);
    stoppers.push(billing.stop);
    const refunds = startRefundRetrier(deps);
    stoppers.push(refunds.stop);
  }
  if (roles.includes('pipelines')) {
    const pipelines = await startPipelines(deps);
    stoppers.push(pipelines.stop);
  }
  return {
    deps,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      for (const stop of stoppers.reverse()) await stop();
      await closeDeps(deps);
    },
  };
}
