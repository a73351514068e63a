// Durable consumers against the real NATS server: a worker restarting beside thousands of lanes
// must not rewrite every consumer it finds as it wants it, and must still apply a changed setting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, deleteStreams, ensureStreams, type Bus } from '../../src/bus/nats.ts';
import { ensureConsumer, type ConsumerSpec } from '../../src/bus/consume.ts';
import { testConfig } from '../support/hub.ts';

let bus: Bus;
let updates: number;

beforeAll(async () => {
  const config = testConfig({ PORT: '1' });
  bus = await connectBus(config.NATS_URL, `${config.NATS_STREAM_PREFIX}ENS`, 'ensure-consumer-test');
  await ensureStreams(bus, { replicas: 1, ocpiMaxAgeDays: 1 });
  const update = bus.jsm.consumers.update.bind(bus.jsm.consumers);
  bus.jsm.consumers.update = (...args) => {
    updates++;
    return update(...args);
  };
});
afterAll(async () => {
  if (!bus) return;
  await deleteStreams(bus);
  await bus.close();
});

const spec = (durable: string, maxAckPending: number): ConsumerSpec => ({
  stream: bus.subjects.streams.ocpi,
  durable,
  filterSubject: bus.subjects.receiverLane('NL-ENS', 0),
  concurrency: 1,
  maxAckPending,
  ackWaitMs: 33_000,
});

describe('ensureConsumer', () => {
  it('creates a missing consumer, leaves one with the same settings alone, and updates one whose settings changed', async () => {
    updates = 0;
    await ensureConsumer(bus, spec('ens_lane', 1));
    expect((await bus.jsm.consumers.info(bus.subjects.streams.ocpi, 'ens_lane')).config.max_ack_pending).toBe(1);

    await ensureConsumer(bus, spec('ens_lane', 1));
    expect(updates).toBe(0);

    await ensureConsumer(bus, spec('ens_lane', 7));
    expect(updates).toBe(1);
    const info = await bus.jsm.consumers.info(bus.subjects.streams.ocpi, 'ens_lane');
    expect(info.config).toMatchObject({ max_ack_pending: 7, ack_wait: 33_000 * 1e6, filter_subject: bus.subjects.receiverLane('NL-ENS', 0) });
  });
});
