// A partner whose registration answer (token C) was lost and that starts the whole handshake over,
// as most OCPI implementations do: GET versions and GET version details with token A, then the same
// POST credentials. Those two GETs are answered with the used token A under the same conditions as
// the repeated POST (within REGISTRATION_RETRY_WINDOW_S, before token C was first used); afterwards
// they are 401 again. Party ids HG*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from './support/hub.ts';
import { TestPartner } from './support/testPartner.ts';

let hub: TestHub;
const partners: TestPartner[] = [];

beforeAll(async () => {
  hub = await startTestHub();
});

afterAll(async () => {
  await Promise.all(partners.map((p) => p.stop()));
  await hub.stop();
});

/** The partner POSTs its credentials with token A; the hub registers it, but the answer never reaches the partner. */
async function lostAnswer(target: TestHub, partyId: string) {
  const partner = await new TestPartner([{ role: 'CPO', country_code: 'NL', party_id: partyId }]).start();
  partners.push(partner);
  const invitation = await call(`${target.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'Restarted handshake' }, headers: { Authorization: `Bearer ${target.config.ADMIN_TOKEN}` } });
  const tokenA = invitation.body.data.token as string;
  const body = partner.credentials(partner.issueToken());
  const first = await call(`${target.url}/ocpi/2.2.1/credentials`, { method: 'POST', token: tokenA, body });
  expect(first.body.status_code).toBe(1000);
  return { tokenA, body, lostToken: first.body.data.token as string };
}

/** GET versions, then GET the 2.2.1 details at the URL versions gave: what a restarting partner does first. */
async function restartHandshake(target: TestHub, token: string) {
  const versions = await call(`${target.url}/ocpi/versions`, { token });
  const detailsUrl = (versions.body?.data as { version: string; url: string }[] | undefined)?.find((v) => v.version === '2.2.1')?.url;
  const details = await call(detailsUrl ?? `${target.url}/ocpi/2.2.1`, { token });
  return { versions, details };
}

describe('a partner restarting the handshake after its registration answer was lost', () => {
  it('gets versions and version details with token A, then its repeated POST answered; once it uses token C both GETs are 401', async () => {
    const { tokenA, body, lostToken } = await lostAnswer(hub, 'HG1');

    const { versions, details } = await restartHandshake(hub, tokenA);
    expect(versions.status).toBe(200);
    expect(versions.body.data).toEqual([{ version: '2.2.1', url: `${hub.url}/ocpi/2.2.1` }]);
    expect(details.status).toBe(200);
    expect(details.body.data.endpoints).toContainEqual({ identifier: 'credentials', role: 'SENDER', url: `${hub.url}/ocpi/2.2.1/credentials` });

    const credentialsUrl = (details.body.data.endpoints as { identifier: string; url: string }[]).find((e) => e.identifier === 'credentials')!.url;
    const retry = await call(credentialsUrl, { method: 'POST', token: tokenA, body });
    expect(retry.body.status_code).toBe(1000);
    const tokenC = retry.body.data.token as string;

    // Only those two GETs: token A opens nothing else.
    expect((await call(credentialsUrl, { token: tokenA })).status).toBe(401);
    expect((await call(`${hub.url}/ocpi/2.2.1/sender/hubclientinfo`, { token: tokenA })).status).toBe(401);

    // Restarting again is fine while token C is unused…
    expect((await restartHandshake(hub, tokenA)).details.status).toBe(200);
    // …but its first use ends the window for the GETs as for the POST.
    expect((await call(`${hub.url}/ocpi/versions`, { token: tokenC })).status).toBe(200);
    const after = await restartHandshake(hub, tokenA);
    expect([after.versions.status, after.details.status]).toEqual([401, 401]);
    expect((await call(credentialsUrl, { method: 'POST', token: tokenA, body })).status).toBe(401);

    const log = hub.logLines.join('\n');
    for (const secret of [tokenA, lostToken, tokenC, body.token]) expect(log).not.toContain(secret);
  });

  it('answers both GETs with 401 once the window has passed (REGISTRATION_RETRY_WINDOW_S=1 here)', async () => {
    const short = await startTestHub({ REGISTRATION_RETRY_WINDOW_S: '1' });
    try {
      const { tokenA, lostToken } = await lostAnswer(short, 'HG2');
      expect((await restartHandshake(short, tokenA)).versions.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1200));
      const late = await restartHandshake(short, tokenA);
      expect([late.versions.status, late.details.status]).toEqual([401, 401]);
      expect((await call(`${short.url}/ocpi/versions`, { token: lostToken })).status).toBe(200);
    } finally {
      await short.stop();
    }
  });
});
