// A receiver that answers 429 with Retry-After is not tried again before the time it asks for,
// whether it gives seconds or an HTTP date (the hub's own backoff here is 100 ms, so a retry that
// ignored it would come at once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'JC1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'JE1' }]);
});
afterAll(() => net?.stop());

const cdr = (id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'JC1',
  cdr_token: { country_code: 'NL', party_id: 'JE1', uid: `U${id}`, type: 'RFID', contract_id: `NL-JE1-${id}` },
});

/** The eMSP throttles the first POST of this CDR with `retryAfter()`, then takes it; returns when each POST came. */
function throttleOnce(id: string, retryAfter: () => string): number[] {
  const times: number[] = [];
  emsp.responder = (r) => {
    if (r.method !== 'POST' || !r.path.endsWith('/receiver/cdrs') || (r.body as { id: string }).id !== id) return undefined;
    times.push(Date.now());
    if (times.length > 1) return undefined;
    return { status: 429, headers: { 'Retry-After': retryAfter() }, body: { status_code: 3000, status_message: 'slow down', timestamp: new Date().toISOString() } };
  };
  return times;
}

describe('429 with Retry-After', () => {
  it.each([
    ['in seconds (Retry-After: 2)', 'RA-SECONDS', () => '2', 2000],
    // An HTTP date has whole seconds: three seconds ahead is at least two from now.
    ['as an HTTP date three seconds ahead', 'RA-DATE', () => new Date(Date.now() + 3000).toUTCString(), 2000],
  ])('%s: the second attempt comes no sooner, and the CDR is delivered once', async (_name, id, retryAfter, minimumMs) => {
    const times = throttleOnce(id, retryAfter);
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr(id), to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(() => times.length >= 2, { what: 'the attempt after the 429', timeoutMs: 15_000 });
    const waited = times[1] - times[0];
    // A small margin for timer and clock granularity.
    expect(waited).toBeGreaterThanOrEqual(minimumMs - 100);
    expect(waited).toBeLessThan(minimumMs + 4000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(times).toHaveLength(2);
  });
});
