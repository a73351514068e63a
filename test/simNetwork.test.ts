// The simulated network end to end through a real hub: every platform registers through an
// invitation, catalogues are broadcast, sessions run with authorization or commands, and every
// CDR a CPO had accepted reaches its eMSP exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub.ts';
import { waitFor } from './support/network.ts';
import { SimNetwork } from '../src/sim/network.ts';

let hub: TestHub;
let network: SimNetwork;

beforeAll(async () => {
  hub = await startTestHub({ DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '1000' }, ['web', 'worker']);
  network = new SimNetwork({ hubUrl: hub.url, adminToken: hub.config.ADMIN_TOKEN, cpos: 2, emsps: 2, both: 1, seed: 7, locationsPerCpo: 2, tokensPerEmsp: 5, idLetter: 'W', faults: { WE2: { errorRate: 0.2 } } });
  await network.start();
  await network.publishCatalogue();
});

afterAll(async () => {
  await network.stop();
  await hub.stop();
});

describe('simulated network', () => {
  it('routes 25 sessions: nothing refused, every accepted CDR delivered once despite a flaky eMSP', async () => {
    for (let i = 0; i < 25; i++) await network.runSession();
    expect(network.stats.pushesRefused).toBe(0);
    expect(network.stats.cdrsAccepted.length).toBeGreaterThanOrEqual(25);
    await waitFor(() => network.stats.cdrsAccepted.every((id) => network.stats.cdrsReceived.has(id)), { what: 'every CDR delivered', timeoutMs: 30_000 });
    // An eMSP answering 500 gets the CDR again until it accepts; one that accepted never gets it twice.
    const duplicates = network.stats.cdrsAccepted.filter((id) => (network.stats.cdrsReceived.get(id) ?? 0) > 1);
    expect(duplicates).toEqual([]);
    expect(network.stats.commands + network.stats.authorizations).toBe(25);
  });
});
