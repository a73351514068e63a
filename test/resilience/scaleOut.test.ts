// Scale-out on the real engine: a 3-node NATS cluster (streams with 3 replicas), two web and two
// worker processes. One NATS node and one process of each kind are SIGKILLed during traffic:
// nothing lost, nothing booked twice, order per session kept. Without kills, the two workers
// share the lanes as competing consumers and no CDR reaches its eMSP twice; a worker killed between
// an eMSP's answer and its acknowledgement makes that delivery happen again (at least once).
import { describe, expect, it, inject } from 'vitest';
import { crashScenario } from '../../scripts/chaos/crashScenario.ts';

describe('a 3-node NATS cluster with two web and two worker processes', () => {
  it('survives losing a NATS node, a web and a worker process', async () => {
    const report = await crashScenario({ env: inject('testEnv'), cdrs: 300, sessions: 4, patchesPerSession: 10, kills: 3, cluster: true, seed: 2, idLetter: 'Y', log: () => {} });
    console.log('scale-out run', JSON.stringify(report));
    expect(new Set(report.kills.map((k) => k.replace(/:.*/, '')))).toEqual(new Set(['web', 'worker', 'nats']));
    expect(report.cdrsAcknowledged).toBe(report.cdrsSent);
    expect(report.cdrsMissing).toBe(0);
    expect(report.cdrsBooked).toBe(report.cdrsAcknowledged);
    expect(report.cdrsBookedTwice).toBe(0);
    expect(report.sessionUpdatesOutOfOrder).toBe(0);
  }, 400_000);

  it('shares the work between two workers without delivering any CDR twice', async () => {
    const report = await crashScenario({ env: inject('testEnv'), cdrs: 300, sessions: 4, patchesPerSession: 10, kills: 0, cluster: true, seed: 3, idLetter: 'G', log: () => {} });
    expect(report.kills).toEqual([]);
    expect(report.cdrsAcknowledged).toBe(report.cdrsSent);
    expect(report.cdrsMissing).toBe(0);
    expect(report.cdrsDeliveredMoreThanOnce).toBe(0);
    expect(report.cdrsBookedTwice).toBe(0);
    expect(report.sessionUpdatesOutOfOrder).toBe(0);
  }, 400_000);
});
