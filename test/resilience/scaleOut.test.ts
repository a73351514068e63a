// Scale-out on the real engine: a 3-node NATS cluster (streams with 3 replicas), two web and two
// worker processes. One NATS node and one process of each kind are SIGKILLed during traffic:
// nothing lost, nothing booked twice, order per session kept.
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
});
