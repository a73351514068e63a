import type { JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../src/bus/nats.ts';
import { acknowledge, keepAliveEveryMs, streamSequence } from './batchConsumer.ts';

const msg = (reply: string, seq = -1) => ({ reply, seq }) as unknown as JsMsg;

describe('streamSequence', () => {
  it.each([
    ['$JS.ACK.OCPI.ingest.1.4711.12.1700000000000000000.3', 4711],
    ['$JS.ACK._.ABC.OCPI.ingest.2.98765432101.12.1700000000000000000.0.xyz', 98765432101],
    ['$JS.ACK.dom.ABC.OCPI.ingest.1.7.7.1700000000000000000.0', 7],
  ])('reads the stream sequence of %s as the delivery info does', (reply, seq) => {
    expect(streamSequence(msg(reply))).toBe(seq);
  });

  it.each(['', 'inbox.1', '$JS.ACK.OCPI.ingest.1.x7.12.1.3', '$JS.ACK.OCPI.ingest.1..12.1.3', '$JS.ACK.a.b.c'])('asks the message itself for %j', (reply) => {
    expect(streamSequence(msg(reply, 5))).toBe(5);
  });
});

describe('acknowledge', () => {
  it('writes one +ACK per message in blocks, each to its own reply subject', () => {
    const sent: string[] = [];
    const bus = { nc: { isClosed: () => false, isDraining: () => false, protocol: { sendCommand: (c: string) => sent.push(c) } } } as unknown as Bus;
    acknowledge(bus, Array.from({ length: 1500 }, (_, i) => `$JS.ACK.OCPI.ingest.1.${i + 1}.${i + 1}.1.0`));
    expect(sent).toHaveLength(2);
    const lines = sent.join('').split('\r\n');
    expect(lines.slice(0, 4)).toEqual(['PUB $JS.ACK.OCPI.ingest.1.1.1.1.0 4', '+ACK', 'PUB $JS.ACK.OCPI.ingest.1.2.2.1.0 4', '+ACK']);
    expect(lines.filter((l) => l === '+ACK')).toHaveLength(1500);
  });

  it('publishes each +ACK without a protocol handler, while the connection drains or closes, or for a subject it cannot write as is', () => {
    const published: [string, string][] = [];
    const publish = (subject: string, data: Uint8Array) => published.push([subject, new TextDecoder().decode(data)]);
    acknowledge({ nc: { publish } } as unknown as Bus, ['$JS.ACK.OCPI.ingest.1.1.1.1.0']);
    expect(published).toEqual([['$JS.ACK.OCPI.ingest.1.1.1.1.0', '+ACK']]);
    const draining = { nc: { publish, isClosed: () => false, isDraining: () => true, protocol: { sendCommand: () => expect.unreachable() } } } as unknown as Bus;
    acknowledge(draining, ['$JS.ACK.OCPI.ingest.1.9.9.1.0']);
    expect(published.pop()).toEqual(['$JS.ACK.OCPI.ingest.1.9.9.1.0', '+ACK']);
    const closed = { nc: { publish: () => { throw new Error('closed'); }, isClosed: () => true, isDraining: () => false, protocol: { sendCommand: () => expect.unreachable() } } } as unknown as Bus;
    expect(() => acknowledge(closed, ['$JS.ACK.OCPI.ingest.1.9.9.1.0'])).not.toThrow(); // redelivered later, as msg.ack() would leave it
    const sent: string[] = [];
    acknowledge({ nc: { publish, isClosed: () => false, isDraining: () => false, protocol: { sendCommand: (c: string) => sent.push(c) } } } as unknown as Bus, ['reply with space', '$JS.ACK.OCPI.ingest.1.2.2.1.0']);
    expect(published[1]).toEqual(['reply with space', '+ACK']);
    expect(sent).toEqual(['PUB $JS.ACK.OCPI.ingest.1.2.2.1.0 4\r\n+ACK\r\n']);
  });
});

describe('keepAliveEveryMs', () => {
  it.each([
    [60_000, 20_000],
    [30_000, 10_000],
    [2_000, 666],
    [1_000, 333],
    [300, 100],
  ])('keeps messages held under an ack wait of %i ms alive every %i ms: three times per ack wait', (ackWaitMs, every) => {
    expect(keepAliveEveryMs(ackWaitMs)).toBe(every);
    expect(keepAliveEveryMs(ackWaitMs) * 3).toBeLessThanOrEqual(ackWaitMs);
  });
});
