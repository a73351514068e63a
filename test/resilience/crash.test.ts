// Property 1 and 3 under crashes: hub web, worker and pipeline processes are SIGKILLed during
// traffic and NATS is restarted; every CDR that got 1000 reaches its eMSP, is booked exactly once
// and counted once in ClickHouse, and no session update arrives out of order. The long run is
// `node --import tsx scripts/chaos/crashScenario.ts --cdrs 20000`.
import { describe, expect, it, inject } from 'vitest';
import { crashScenario } from '../../scripts/chaos/crashScenario.ts';

describe('crashes of every hub process and of NATS', () => {
  it('loses nothing, books nothing twice, keeps order per session', async () => {
    const report = await crashScenario({ env: inject('testEnv'), cdrs: 300, sessions: 4, patchesPerSession: 10, kills: 5, cluster: false, seed: 1, log: () => {} });
    console.log('crash run', JSON.stringify(report));
    expect(new Set(report.kills.map((k) => k.replace(/:.*/, '')))).toEqual(new Set(['web', 'worker', 'pipelines', 'nats']));
    expect(report.kills.some((k) => k.startsWith('nats'))).toBe(true);
    expect(report.cdrsAcknowledged).toBe(report.cdrsSent);
    expect(report.cdrsMissing).toBe(0);
    expect(report.cdrsDelivered).toBe(report.cdrsAcknowledged);
    expect(report.cdrsBooked).toBe(report.cdrsAcknowledged);
    expect(report.cdrsBookedTwice).toBe(0);
    expect(report.cdrsInClickHouse).toBe(report.cdrsAcknowledged);
    expect(report.sessionUpdatesOutOfOrder).toBe(0);
  }, 400_000);
});
