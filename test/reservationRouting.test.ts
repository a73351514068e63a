// Open routing of CANCEL_RESERVATION, with real partner servers: the hub remembers which CPO
// accepted an eMSP's RESERVE_NOW, so that eMSP's CANCEL_RESERVATION without OCPI-to-* goes to that
// CPO and its CommandResult comes back; a reservation the hub does not know, another eMSP's, one the
// CPO refused, one that ended or expired gets 2001 naming reservation_id and nothing is forwarded.
// Party ids RV*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { ReceivedRequest, TestPartner } from './support/testPartner.ts';
import { startCallbackRetention } from '../src/hub/commands/callbackRetention.ts';

let net: Network;
let cpo1: TestPartner;
let cpo2: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;

/** reservation_id → what the CPOs answer to RESERVE_NOW (CommandResponse result); ACCEPTED otherwise. */
const responses = new Map<string, string>();
/** reservation_id → a CommandResult the CPO posts to the hub callback before it answers the command. */
const earlyResults = new Map<string, string>();

beforeAll(async () => {
  net = await Network.start();
  cpo1 = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'RVA' }]);
  cpo2 = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'RVB' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'RVM' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'RVN' }]);
  for (const cpo of [cpo1, cpo2]) {
    cpo.responder = async (r: ReceivedRequest) => {
      if (r.method !== 'POST' || !r.path.includes('/receiver/commands/')) return undefined;
      const command = r.body as { reservation_id?: string; response_url: string };
      const early = earlyResults.get(String(command.reservation_id));
      if (early) await postResult(cpo, command.response_url, early);
      const result = responses.get(String(command.reservation_id)) ?? 'ACCEPTED';
      return { body: { data: { result, timeout: 30 }, status_code: 1000, timestamp: new Date().toISOString() } };
    };
  }
});

afterAll(async () => {
  await net?.stop();
});

const token = (p: TestPartner) => ({ ...example('token_example_1_app_user.json'), country_code: p.roles[0].country_code, party_id: p.roles[0].party_id, uid: `RV-UID-${p.roles[0].party_id}` });
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** The eMSP's RESERVE_NOW to `cpo` (OCPI-to-*); returns the hub callback URL the CPO was given. */
async function reserve(emsp: TestPartner, cpo: TestPartner, reservationId: string, expiryDate = inAnHour()) {
  const responseUrl = `${emsp.url}/ocpi/2.2.1/emsp/commands/RESERVE_NOW/${reservationId}-${Math.random().toString(36).slice(2)}`;
  const body = { response_url: responseUrl, token: token(emsp), expiry_date: expiryDate, reservation_id: reservationId, location_id: 'RV-LOC-1' };
  const sent = await net.send(emsp, 'POST', '/receiver/commands/RESERVE_NOW', { body, to: party(cpo) });
  expect(sent.body.status_code, sent.text).toBe(1000);
  // The forwarded command carries the eMSP's X-Correlation-ID.
  const atCpo = cpo.requestsTo('/receiver/commands/RESERVE_NOW').find((r) => r.headers['x-correlation-id'] === sent.sentHeaders['X-Correlation-ID']);
  return { hubUrl: (atCpo!.body as { response_url: string }).response_url, responseUrl };
}

/** The CPO POSTs a CommandResult to a hub callback URL. */
async function postResult(cpo: TestPartner, hubUrl: string, result: string) {
  const posted = await call(hubUrl, { method: 'POST', token: cpo.hubToken, body: { result }, headers: { 'X-Request-ID': `rv-${Math.random()}` } });
  expect(posted.body.status_code, posted.text).toBe(1000);
}

/** CANCEL_RESERVATION from the eMSP, without OCPI-to-* unless `to` is given. */
async function cancel(emsp: TestPartner, reservationId: string, to?: TestPartner) {
  const responseUrl = `${emsp.url}/ocpi/2.2.1/emsp/commands/CANCEL_RESERVATION/${reservationId}-${Math.random().toString(36).slice(2)}`;
  const sent = await net.send(emsp, 'POST', '/receiver/commands/CANCEL_RESERVATION', { body: { response_url: responseUrl, reservation_id: reservationId }, ...(to ? { to: party(to) } : {}) });
  return Object.assign(sent, { responseUrl });
}

const cancelsAt = (cpo: TestPartner, reservationId: string) => cpo.requestsTo('/receiver/commands/CANCEL_RESERVATION').filter((r) => (r.body as { reservation_id: string }).reservation_id === reservationId);

function expectRefused(sent: Awaited<ReturnType<typeof cancel>>, message: RegExp) {
  expect(sent.body.status_code, sent.text).toBe(2001);
  expect(sent.body.status_message).toMatch(message);
  expect(sent.body.data.errors.map((e: { path: string }) => e.path)).toEqual(['reservation_id']);
}

describe('CANCEL_RESERVATION without OCPI-to-*', () => {
  it('goes to the CPO that took the reservation, and its CommandResult reaches the eMSP', async () => {
    const { hubUrl } = await reserve(emsp1, cpo1, 'RV-RES-1');
    await postResult(cpo1, hubUrl, 'ACCEPTED');

    const sent = await cancel(emsp1, 'RV-RES-1');
    expect(sent.body.status_code, sent.text).toBe(1000);
    expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
    expect([sent.headers.get('ocpi-from-country-code'), sent.headers.get('ocpi-from-party-id')]).toEqual(party(cpo1));
    const [atCpo] = cancelsAt(cpo1, 'RV-RES-1');
    expect([atCpo.headers['ocpi-to-country-code'], atCpo.headers['ocpi-to-party-id']]).toEqual(party(cpo1));
    expect([atCpo.headers['ocpi-from-country-code'], atCpo.headers['ocpi-from-party-id']]).toEqual(party(emsp1));
    expect(cancelsAt(cpo2, 'RV-RES-1')).toEqual([]);

    // The CPO's result of the cancel is relayed to the eMSP's own response_url.
    const cancelHubUrl = (atCpo.body as { response_url: string }).response_url;
    expect(cancelHubUrl).not.toBe(sent.responseUrl);
    await postResult(cpo1, cancelHubUrl, 'ACCEPTED');
    const relayed = await waitFor(() => emsp1.received.find((r) => r.method === 'POST' && sent.responseUrl.endsWith(r.path)), { what: 'the cancel result at the eMSP' });
    expect(relayed.body).toEqual({ result: 'ACCEPTED' });

    // Canceled: there is nothing left to cancel.
    expectRefused(await cancel(emsp1, 'RV-RES-1'), /knows no reservation RV-RES-1/);
    expect(cancelsAt(cpo1, 'RV-RES-1')).toHaveLength(1);
  });

  it('is refused with 2001 naming reservation_id for a reservation the hub does not know, and nothing is forwarded', async () => {
    expectRefused(await cancel(emsp1, 'RV-NONE'), /knows no reservation RV-NONE/);
    expect([...cancelsAt(cpo1, 'RV-NONE'), ...cancelsAt(cpo2, 'RV-NONE')]).toEqual([]);
  });

  it("does not let another eMSP reach the reservation with the same reservation_id", async () => {
    await reserve(emsp1, cpo1, 'RV-RES-2');
    expectRefused(await cancel(emsp2, 'RV-RES-2'), /knows no reservation RV-RES-2/);
    expect(cancelsAt(cpo1, 'RV-RES-2')).toEqual([]);
    // Before the charge point answered, the eMSP that made it can cancel it; reservation_id is a CiString.
    expect((await cancel(emsp1, 'rv-res-2')).body.status_code).toBe(1000);
    expect(cancelsAt(cpo1, 'rv-res-2')).toHaveLength(1);
  });

  it('does not route to a reservation the CPO refused, or whose CommandResult says it was not made or ended', async () => {
    responses.set('RV-RES-3', 'REJECTED');
    const refused = await net.send(emsp1, 'POST', '/receiver/commands/RESERVE_NOW', {
      body: { response_url: `${emsp1.url}/ocpi/2.2.1/emsp/commands/RESERVE_NOW/3`, token: token(emsp1), expiry_date: inAnHour(), reservation_id: 'RV-RES-3', location_id: 'RV-LOC-1' },
      to: party(cpo1),
    });
    expect(refused.body.data.result).toBe('REJECTED');
    expectRefused(await cancel(emsp1, 'RV-RES-3'), /knows no reservation RV-RES-3/);

    const occupied = await reserve(emsp1, cpo1, 'RV-RES-4');
    await postResult(cpo1, occupied.hubUrl, 'EVSE_OCCUPIED');
    expectRefused(await cancel(emsp1, 'RV-RES-4'), /not made or has ended \(EVSE_OCCUPIED\)/);

    const canceledByCpo = await reserve(emsp1, cpo1, 'RV-RES-5');
    await postResult(cpo1, canceledByCpo.hubUrl, 'ACCEPTED');
    await postResult(cpo1, canceledByCpo.hubUrl, 'CANCELED_RESERVATION');
    await waitFor(async () => (await cancel(emsp1, 'RV-RES-5')).body.status_code === 2001, { what: 'the CPO-canceled reservation refused' });
    expect([...cancelsAt(cpo1, 'RV-RES-3'), ...cancelsAt(cpo1, 'RV-RES-4'), ...cancelsAt(cpo1, 'RV-RES-5')]).toEqual([]);

    // Reserved again with the same id and accepted, it is routable again.
    await reserve(emsp1, cpo1, 'RV-RES-4');
    expect((await cancel(emsp1, 'RV-RES-4')).body.status_code).toBe(1000);
    expect(cancelsAt(cpo1, 'RV-RES-4')).toHaveLength(1);
  });

  it('counts a CommandResult that reaches the hub before the CommandResponse', async () => {
    earlyResults.set('RV-RES-8', 'REJECTED');
    await reserve(emsp1, cpo1, 'RV-RES-8');
    expectRefused(await cancel(emsp1, 'RV-RES-8'), /not made or has ended \(REJECTED\)/);
    expect(cancelsAt(cpo1, 'RV-RES-8')).toEqual([]);
  });

  it('keeps one reservation when a RESERVE_NOW replaces it at the same CPO; at two CPOs the eMSP must name one', async () => {
    const first = await reserve(emsp1, cpo1, 'RV-RES-6');
    await postResult(cpo1, first.hubUrl, 'ACCEPTED');
    const replacedUntil = new Date(Date.now() + 7_200_000).toISOString();
    await reserve(emsp1, cpo1, 'RV-RES-6', replacedUntil);
    const rows = await net.hub.deps.db('command_reservations').where({ country_code: 'DE', party_id: 'RVM', reservation_id: 'RV-RES-6' });
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0].expiry_date).toISOString()).toBe(replacedUntil);
    expect(rows[0].result).toBeNull();

    await reserve(emsp1, cpo2, 'RV-RES-6');
    expectRefused(await cancel(emsp1, 'RV-RES-6'), /held at NL-RVA and NL-RVB: name the CPO in OCPI-to-\*/);
    expect([...cancelsAt(cpo1, 'RV-RES-6'), ...cancelsAt(cpo2, 'RV-RES-6')]).toEqual([]);
    // Named, either is reached; once cpo2's is canceled, the one at cpo1 is found again.
    const named = await cancel(emsp1, 'RV-RES-6', cpo2);
    expect(named.body.status_code).toBe(1000);
    const [atCpo2] = cancelsAt(cpo2, 'RV-RES-6');
    await postResult(cpo2, (atCpo2.body as { response_url: string }).response_url, 'ACCEPTED');
    expect((await cancel(emsp1, 'RV-RES-6')).body.status_code).toBe(1000);
    expect(cancelsAt(cpo1, 'RV-RES-6')).toHaveLength(1);
  });

  it("does not route after the expiry_date, and forgets the reservation after the callback TTL on top (the worker's retention job)", async () => {
    const expiry = new Date(Date.now() + 1500);
    const { hubUrl } = await reserve(emsp1, cpo1, 'RV-RES-7', expiry.toISOString());
    await postResult(cpo1, hubUrl, 'ACCEPTED');
    const { db } = net.hub.deps;
    const row = await db('command_reservations').where({ country_code: 'DE', party_id: 'RVM', reservation_id: 'RV-RES-7' }).first();
    expect(new Date(row.forget_after).getTime()).toBe(expiry.getTime() + net.hub.config.CALLBACK_TTL_HOURS * 3_600_000);

    await new Promise((r) => setTimeout(r, expiry.getTime() - Date.now() + 100));
    expectRefused(await cancel(emsp1, 'RV-RES-7'), /RV-RES-7 at NL-RVA expired at/);
    expect(cancelsAt(cpo1, 'RV-RES-7')).toEqual([]);

    await db('command_reservations').where({ country_code: 'DE', party_id: 'RVM', reservation_id: 'RV-RES-7' }).update({ forget_after: db.raw("now() - interval '1 second'") });
    // The worker's retention job forgets it, even when it keeps callbacks forever (CALLBACK_RETENTION_S=0).
    const job = startCallbackRetention({ db, config: { ...net.hub.config, CALLBACK_RETENTION_S: 0 }, log: net.hub.deps.log });
    await job.stop();
    expect(await db('command_reservations').where({ country_code: 'DE', party_id: 'RVM', reservation_id: 'RV-RES-7' })).toEqual([]);
    expect(await db('command_reservations').where({ country_code: 'DE', party_id: 'RVM', reservation_id: 'RV-RES-6' })).toHaveLength(1);
    expectRefused(await cancel(emsp1, 'RV-RES-7'), /knows no reservation RV-RES-7/);
  });
});
