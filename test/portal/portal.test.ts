// The portal over HTTP: sign-in (password and one-time link by email), cookies, CSRF on every
// form, the login rate limit, isolation between parties, downloads, audit, the operator's
// Deliveries page, the admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { aBilledCycle, aFuturePeriod, type BilledCycle } from '../billing/support.ts';
import { Browserish, aResultRelay, aUser, startPortalHub, PASSWORD } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;
let mine: BilledCycle;
let other: BilledCycle;

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
  mine = await aBilledCycle(hub.deps.db);
  other = await aBilledCycle(hub.deps.db, { period: aFuturePeriod() });
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

describe('portal sign-in', () => {
  it('sends the anonymous to the sign-in page and sets a strict session cookie', async () => {
    const b = new Browserish(hub.url);
    const anonymous = await b.request('/portal/statements');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/portal/login?next=%2Fportal%2Fstatements');
    const email = await aUser(hub.deps.db, mine.emsp);
    const signedIn = await b.login(email);
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.setCookies.find((c) => c.startsWith('portal_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/portal/);
    const home = await b.request('/portal');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(home.text).toContain('<svg');
    expect(home.text).toContain(mine.payerStatement);
    const audit = await hub.deps.db('audit_log').where({ action: 'portal.login', subject: email });
    expect(audit).toHaveLength(1);
  });

  it('refuses a form without its CSRF token', async () => {
    const b = new Browserish(hub.url);
    await b.login(await aUser(hub.deps.db, mine.emsp));
    const refused = await b.request('/portal/contacts', { form: { party: mine.emsp, email: 'x@y.example' } });
    expect(refused.status).toBe(403);
    const forged = await b.request('/portal/contacts', { form: { _csrf: 'forged', party: mine.emsp, email: 'x@y.example' } });
    expect(forged.status).toBe(403);
    const ok = await b.post('/portal/contacts', { party: mine.emsp, email: 'ap@mine.example', name: '<script>alert(1)</script>' });
    expect(ok.status).toBe(303);
    const page = await b.request('/portal/contacts');
    expect(page.text).toContain('ap@mine.example');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)');
  });

  it('rate-limits failed sign-ins per email', async () => {
    const email = await aUser(hub.deps.db, mine.cpo);
    const b = new Browserish(hub.url);
    for (let i = 0; i < 5; i++) expect((await b.login(email, 'wrong password!')).status).toBe(401);
    const blocked = await b.login(email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('900');
    expect(await hub.deps.db('audit_log').where({ action: 'portal.login.throttled', subject: email })).toHaveLength(1);
  });

  it('holds the per-email limit when the wrong passwords arrive all at once', async () => {
    const email = await aUser(hub.deps.db, mine.cpo);
    const b = new Browserish(hub.url);
    const csrf = await b.csrf('/portal/login');
    const answers = await Promise.all(Array.from({ length: 12 }, () => b.request('/portal/login', { form: { _csrf: csrf, email, password: 'wrong password!', next: '/portal' } })));
    const statuses = answers.map((a) => a.status);
    // At most five guesses in the window, however they are timed; the rest are turned away unchecked.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(await hub.deps.db('portal_login_attempts').where({ key: `email:${email}`, success: false })).toHaveLength(statuses.filter((s) => s === 401).length);
  });

  it('signs in with a one-time link by email', async () => {
    const email = await aUser(hub.deps.db, mine.cpo);
    const b = new Browserish(hub.url);
    const csrf = await b.csrf('/portal/login');
    const asked = await b.request('/portal/login/link', { form: { _csrf: csrf, email } });
    expect(asked.status).toBe(303);
    const mail = sink.to(email).at(-1)!;
    expect(mail.subject).toContain('sign-in link');
    const link = /(http:\/\/\S+\/portal\/login\/link\?token=\S+)/.exec(mail.text)![1];
    const path = link.slice(hub.url.length);
    const fresh = new Browserish(hub.url);
    const confirm = await fresh.request(path);
    const token = /name="token" value="([^"]+)"/.exec(confirm.text)![1];
    const used = await fresh.request('/portal/login/link/use', { form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(confirm.text)![1], token } });
    expect(used.status).toBe(303);
    expect((await fresh.request('/portal/statements')).text).toContain(mine.payeeStatement);
    // Audited as a sign-in by that person, like one with a password.
    expect(await hub.deps.db('audit_log').where({ action: 'portal.login', subject: email }).select('actor', 'details')).toEqual([{ actor: `portal:${email}`, details: expect.objectContaining({ method: 'link' }) }]);
    // Once only.
    const again = new Browserish(hub.url);
    const page = await again.request(path);
    const reuse = await again.request('/portal/login/link/use', { form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1], token } });
    expect(reuse.status).toBe(400);
    // An unknown address gets the same answer and no email.
    const before = sink.messages.length;
    const unknown = await b.request('/portal/login/link', { form: { _csrf: await b.csrf('/portal/login'), email: 'nobody@nowhere.example' } });
    expect(unknown.status).toBe(303);
    expect(sink.messages.length).toBe(before);
  });
});

describe('a partner sees only its own parties', () => {
  it('lists and downloads its statements, and is refused another party’s', async () => {
    const b = new Browserish(hub.url);
    await b.login(await aUser(hub.deps.db, mine.emsp));
    const list = await b.request('/portal/statements');
    expect(list.text).toContain(mine.payerStatement);
    expect(list.text).not.toContain(other.payerStatement);
    const detail = await b.request(`/portal/statements/${mine.payerStatement}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('Download PDF');
    const pdf = await b.request(`/portal/statements/${mine.payerStatement}/pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toContain(`${mine.payerStatement}.pdf`);
    expect(pdf.buffer.subarray(0, 5).toString()).toBe('%PDF-');
    const csv = await b.request(`/portal/statements/${mine.payerStatement}/csv`);
    expect(csv.text).toContain(`"statement","${mine.payerStatement}"`);
    expect(await hub.deps.db('audit_log').where({ action: 'portal.statement.download', subject: mine.payerStatement })).toHaveLength(2);

    for (const path of [`/portal/statements/${other.payerStatement}`, `/portal/statements/${other.payerStatement}/pdf`, `/portal/statements/${mine.payeeStatement}/csv`, `/portal/cdrs/${other.cpo.replace('-', '/')}/${other.cdrIds[0]}`]) {
      const refused = await b.request(path);
      expect(refused.status, path).toBe(403);
      expect(refused.text).not.toContain('%PDF');
    }
    const cdrs = await b.request('/portal/cdrs');
    expect(cdrs.text).toContain(mine.cdrIds[0]);
    expect(cdrs.text).not.toContain(other.cdrIds[0]);
    // Operator pages are for operators.
    expect((await b.request('/portal/ops/deliveries')).status).toBe(403);
    expect((await b.request('/portal/ops/partners')).status).toBe(403);
  });

  it('shows a CDR with its findings and opens a dispute on it', async () => {
    const b = new Browserish(hub.url);
    await b.login(await aUser(hub.deps.db, other.emsp));
    const path = `/portal/cdrs/${other.cpo.replace('-', '/')}/${other.cdrIds[0]}`;
    const page = await b.request(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('energy_mismatch');
    expect(page.text).toContain('Why was I charged this?');
    // Times say their zone.
    expect(page.text).toContain(`<dt>Start</dt><dd>${other.period}-03 09:00:00 UTC</dd><dt>End</dt><dd>${other.period}-03 10:00:00 UTC</dd>`);
    const list = await b.request('/portal/cdrs');
    expect(list.text).toContain(`<td>${other.period}-03 10:00 UTC</td>`);
    // The dispute window ends 30 days after the session, to the minute, not at some midnight.
    const deadline = new Date(Date.parse(`${other.period}-03T10:00:00Z`) + 30 * 86_400_000).toISOString().slice(0, 16).replace('T', ' ');
    expect(page.text).toContain(`Disputes are accepted until ${deadline} UTC (30 days after the session ended).`);
    const opened = await b.post(`${path}/dispute`, { as: other.emsp, reason: 'charged twice' }, path);
    expect(opened.status).toBe(303);
    const dispute = await b.request(opened.headers.get('location')!);
    expect(dispute.text).toContain('charged twice');
    expect(dispute.text).toMatch(/<dt>Opened<\/dt><dd>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by /);
    expect(dispute.text).not.toContain('Resolve dispute');
  });
});

/** The text of each cell of the first table row whose first cell is `first`, in an HTML fragment. */
function rowOf(fragment: string, first: string): string[] | undefined {
  const row = [...fragment.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1].replace(/<[^>]+>/g, '')));
  return row.find((cells) => cells[0] === first);
}

describe("the operator's Deliveries page", () => {
  it('shows the results relayed to requesters: counts per requester and the given-up and refused ones with their last error', async () => {
    const db = hub.deps.db;
    const responder = 'NL-KY9';
    await aResultRelay(db, { requester: 'NL-KY1', responder, correlationId: 'KY-REQ-PENDING', state: 'pending', attempts: 3, lastError: 'HTTP 503', receivedAgoS: 90 });
    await aResultRelay(db, { requester: 'NL-KY1', responder, correlationId: 'KY-REQ-RELAYED', state: 'relayed', attempts: 1, lastError: null });
    await aResultRelay(db, { requester: 'NL-KY1', responder, correlationId: 'KY-REQ-GIVEN-UP', state: 'expired', attempts: 12, lastError: 'HTTP 503 <b>down</b>' });
    await aResultRelay(db, { requester: 'NL-KY1', responder, correlationId: 'KY-REQ-REFUSED', state: 'refused', attempts: 1, lastError: 'OCPI 2001' });
    await aResultRelay(db, { requester: 'NL-KY2', responder, correlationId: 'KY-REQ-OTHER', state: 'pending', attempts: 1, lastError: 'HTTP 502' });

    const operator = new Browserish(hub.url);
    await operator.login(await aUser(db, null));
    const page = await operator.request('/portal/ops/deliveries');
    expect(page.status).toBe(200);
    const [, results] = page.text.split('<h2>Results to requesters</h2>');
    const [perRequester, oneByOne] = results.split('<h3>Latest given up or refused</h3>');

    // Requester, pending, oldest pending, given up, refused; a relayed result is not counted.
    const [, pending, oldest, givenUp, refused] = rowOf(perRequester, 'NL-KY1')!;
    expect({ pending, givenUp, refused }).toEqual({ pending: '1', givenUp: '1', refused: '1' });
    expect(Number(oldest.replace(/s$/, ''))).toBeGreaterThanOrEqual(90);
    expect(Number(oldest.replace(/s$/, ''))).toBeLessThan(150);
    expect(rowOf(perRequester, 'NL-KY2')?.slice(1)).toEqual(['1', expect.stringMatching(/^\d+s$/), '0', '0']);

    // Requester, request, state, attempts, last error (escaped: the requester's own words), received.
    expect(rowOf(oneByOne, 'NL-KY1')).toBeDefined();
    expect(oneByOne).toContain('commands: KY-REQ-GIVEN-UP</td><td><span class="badge given_up">given up</span></td><td class="num">12</td><td>HTTP 503 &lt;b&gt;down&lt;/b&gt;</td>');
    expect(oneByOne).toContain('commands: KY-REQ-REFUSED</td><td><span class="badge refused">refused</span></td><td class="num">1</td><td>OCPI 2001</td>');
    expect(page.text).not.toContain('<b>down</b>');
    for (const notListed of ['KY-REQ-PENDING', 'KY-REQ-RELAYED', 'KY-REQ-OTHER']) expect(oneByOne).not.toContain(notListed);

    // Partners never see it, not even the requester's own results.
    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, mine.emsp));
    const refusedPage = await partner.request('/portal/ops/deliveries');
    expect(refusedPage.status).toBe(403);
    expect(refusedPage.text).not.toContain('KY-REQ');
  });
});

describe('admin API for statements', () => {
  it('lists, records a bank transfer and shows the history', async () => {
    const auth = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
    const list = await fetch(`${hub.url}/admin/statements?party=${mine.emsp}`, { headers: auth }).then((r) => r.json());
    expect(list.data.map((s: { statement_id: string }) => s.statement_id)).toEqual([mine.payerStatement]);
    expect(list.data[0].status).toBe('overdue');
    const paid = await fetch(`${hub.url}/admin/statements/${mine.payerStatement}/payments`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: '1.00', reference: 'SEPA-123' }) }).then((r) => r.json());
    expect(paid.status_code).toBe(1000);
    const show = await fetch(`${hub.url}/admin/statements/${mine.payerStatement}`, { headers: auth }).then((r) => r.json());
    expect(show.data.paid).toBe('1.00');
    expect(show.data.payments[0]).toMatchObject({ method: 'bank_transfer', reference: 'SEPA-123', recorded_by: 'admin' });
    const unauthorised = await fetch(`${hub.url}/admin/statements`);
    expect(unauthorised.status).toBe(401);
  });
});
