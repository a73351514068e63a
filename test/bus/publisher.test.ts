// The hub's JetStream publisher (src/bus/publisher.ts) against the real NATS server: an accepted
// push is only answered 1000 after this resolves, so its answers must be exactly JetStream's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, deleteStreams, ensureStreams, type Bus } from '../../src/bus/nats.ts';
import { JetStreamPublisher } from '../../src/bus/publisher.ts';
import { testConfig } from '../support/hub.ts';

let bus: Bus;

beforeAll(async () => {
  const config = testConfig({ PORT: '1' });
  bus = await connectBus(config.NATS_URL, `${config.NATS_STREAM_PREFIX}PUB`, 'publisher-test');
  await ensureStreams(bus, { replicas: 1, ocpiMaxAgeDays: 1 });
});
afterAll(async () => {
  if (!bus) return;
  await deleteStreams(bus);
  await bus.close();
});

describe('JetStream publisher', () => {
  it('resolves with the stored sequence, and stores a retried message id once', async () => {
    const subject = bus.subjects.ocpi('cdrs', 'post', 'NL-PUB', 0);
    const first = await bus.publish(subject, '{"n":1}', 'pub-test-1');
    const again = await bus.publish(subject, '{"n":1}', 'pub-test-1');
    const other = await bus.publish(subject, '{"n":2}', 'pub-test-2');
    expect(first).toMatchObject({ stream: bus.subjects.streams.ocpi, duplicate: false });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(other.seq).toBe(first.seq + 1);
    const info = await bus.jsm.streams.info(bus.subjects.streams.ocpi);
    expect(info.state.messages).toBe(2);
  });

  it('resolves each of many concurrent publishes with its own acknowledgement', async () => {
    const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => bus.publish(bus.subjects.ocpi('cdrs', 'post', 'NL-PUB', i % 4), `{"i":${i}}`, `pub-many-${i}`)));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(500);
    const stored = await bus.jsm.streams.getMessage(bus.subjects.streams.ocpi, { seq: acks[123].seq });
    expect(stored?.json()).toEqual({ i: 123 });
  });

  it('refuses when no stream takes the subject, naming it', async () => {
    await expect(bus.publish('nowhere.at.all', '{}', 'pub-nowhere')).rejects.toThrow(/nowhere\.at\.all.*no JetStream stream/);
  });

  it('times out when no acknowledgement comes', async () => {
    // A plain subscriber on the subject swallows the message and never answers.
    const sub = bus.nc.subscribe('silent.subject');
    const publisher = new JetStreamPublisher(bus.nc, 200);
    try {
      await expect(publisher.publish('silent.subject', '{}', 'pub-silent')).rejects.toThrow(/no acknowledgement within 200 ms/);
    } finally {
      publisher.close();
      sub.unsubscribe();
    }
  });
});
