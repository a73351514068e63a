// Deliveries after a credentials rotation go with the new token, both ways a rotation happens: the
// eMSP PUTs new credentials to the hub, or the hub rotates with the eMSP (the admin API, as `hub
// partners rotate` does). The eMSP here is strict: once rotated it refuses its old token with 401.
// A CDR is delivered just before each rotation, as on any busy link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { ReceivedRequest, TestPartner } from './support/testPartner.ts';
import { encryptToken, newToken } from '../src/partners/tokenCrypto.ts';
import { platformAuth } from '../src/hub/platformAuth.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'ZC1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'ZE1' }]);
});
afterAll(() => net?.stop());

const cdr = (id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'ZC1',
  cdr_token: { country_code: 'NL', party_id: 'ZE1', uid: `U${id}`, type: 'RFID', contract_id: `NL-ZE1-${id}` },
});

/** The token the hub presented (Authorization: Token base64(token)). */
const tokenOf = (r: ReceivedRequest) => Buffer.from(String(r.headers.authorization).replace(/^Token /, ''), 'base64').toString();
const cdrPosts = (id: string) => emsp.received.filter((r) => r.method === 'POST' && r.path.endsWith('/receiver/cdrs') && (r.body as { id: string }).id === id);

/** From now on only the newest token the eMSP handed out is accepted. */
function acceptOnlyNewest(): string {
  const newest = [...emsp.acceptedTokens].at(-1)!;
  for (const t of [...emsp.acceptedTokens]) if (t !== newest) emsp.acceptedTokens.delete(t);
  return newest;
}

async function pushCdr(id: string) {
  expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr(id), to: party(emsp) })).body.status_code).toBe(1000);
}

type Mode = 'the eMSP rotates (credentials PUT)' | 'the hub rotates with the eMSP';

const rotate: Record<Mode, () => Promise<void>> = {
  async 'the eMSP rotates (credentials PUT)'() {
    const details = await call(`${net.hub.url}/ocpi/2.2.1`, { token: emsp.hubToken });
    const credentialsUrl = details.body.data.endpoints.find((e: { identifier: string }) => e.identifier === 'credentials').url;
    expect((await emsp.rotate(credentialsUrl)).body.status_code).toBe(1000);
  },
  async 'the hub rotates with the eMSP'() {
    const { platform_id: platformId } = await net.hub.deps.db('parties').where({ country_code: 'NL', party_id: 'ZE1' }).first('platform_id');
    const rotated = await call(`${net.hub.url}/admin/partners/${platformId}/rotate`, { method: 'POST', headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
    expect(rotated.body.status_code).toBe(1000);
  },
};

/** Busy link, rotation, the next CDR: every POST of that CDR, the new token, and what the CPO heard of the eMSP since. */
async function rotateAndDeliver(mode: Mode, id: string) {
  const oldToken = acceptOnlyNewest();
  await pushCdr(`${id}-BEFORE`);
  await waitFor(() => cdrPosts(`${id}-BEFORE`).length > 0, { what: 'a CDR before the rotation' });
  const mark = cpo.received.length;
  await rotate[mode]();
  const newToken = acceptOnlyNewest();
  expect(newToken).not.toBe(oldToken);
  await pushCdr(id);
  await waitFor(() => cdrPosts(id).some((r) => tokenOf(r) === newToken), { what: 'the CDR delivered with the new token', timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 1000));
  const statusesSince = cpo.received
    .slice(mark)
    .filter((r) => r.method === 'PUT' && r.path.endsWith('/receiver/hubclientinfo/NL/ZE1'))
    .map((r) => (r.body as { status: string }).status);
  return { posts: cdrPosts(id), newToken, statusesSince };
}

const modes: Mode[] = ['the eMSP rotates (credentials PUT)', 'the hub rotates with the eMSP'];

describe('delivery after a credentials rotation', () => {
  it.each(modes)('%s: the next CDR is delivered once, with the new token, and the old one is not tried after that (no 401 loop)', async (mode) => {
    const { posts, newToken } = await rotateAndDeliver(mode, `ROT-${modes.indexOf(mode)}-A`);
    const delivered = posts.findIndex((r) => tokenOf(r) === newToken);
    expect(posts.filter((r) => tokenOf(r) === newToken)).toHaveLength(1);
    expect(posts.slice(delivered + 1)).toEqual([]);
  });

  // The process that stored the new credentials forgets the old token at once; another process
  // holding it in its cache gets a 401, reads the token again and sends once more with the new one.
  it.each(modes)('%s: not one delivery goes with the old token, and the eMSP is not announced OFFLINE', async (mode) => {
    const { posts, newToken, statusesSince } = await rotateAndDeliver(mode, `ROT-${modes.indexOf(mode)}-B`);
    expect(posts.map((r) => tokenOf(r) === newToken)).toEqual([true]);
    expect(statusesSince).not.toContain('OFFLINE');
  });

  it('another hub process stored the new token: a delivery refused with 401 is sent again at once with it, and the eMSP stays CONNECTED', async () => {
    acceptOnlyNewest();
    await pushCdr('ROT-X-BEFORE');
    await waitFor(() => cdrPosts('ROT-X-BEFORE').length > 0, { what: 'a CDR before the rotation' });
    const { platform_id: platformId } = await net.hub.deps.db('parties').where({ country_code: 'NL', party_id: 'ZE1' }).first('platform_id');
    // This process holds the old token in its cache; the new one is written as another process would.
    const oldToken = (await platformAuth(net.hub.deps, platformId))!.token;
    const rotated = newToken();
    emsp.acceptedTokens.add(rotated);
    expect(acceptOnlyNewest()).toBe(rotated);
    await net.hub.deps.db('platforms').where({ id: platformId }).update({ outbound_token_enc: encryptToken(net.hub.deps.keys, rotated) });
    const mark = cpo.received.length;
    await pushCdr('ROT-X');
    await waitFor(() => cdrPosts('ROT-X').some((r) => tokenOf(r) === rotated), { what: 'the CDR delivered with the new token', timeoutMs: 20_000 });
    expect(cdrPosts('ROT-X').map(tokenOf)).toEqual([oldToken, rotated]);
    await new Promise((r) => setTimeout(r, 500));
    const statuses = cpo.received.slice(mark).filter((r) => r.method === 'PUT' && r.path.endsWith('/receiver/hubclientinfo/NL/ZE1'));
    expect(statuses).toEqual([]);
  });
});
