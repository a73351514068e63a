// A hub (web role) with the portal on, a local SMTP sink, and a small HTTP client that keeps
// cookies and reads CSRF tokens from forms, as a browser would.
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { SmtpSink } from '../../src/sim/smtpSink.ts';
import { createUser } from '../../src/portal/auth.ts';
import type { Db } from '../../src/store/db.ts';
import { cdrMessage } from '../clearing/support.ts';

export const PASSWORD = 'correct horse battery staple';

export async function startPortalHub(overrides: Record<string, string> = {}): Promise<{ hub: TestHub; sink: SmtpSink }> {
  const sink = await new SmtpSink().start();
  const hub = await startTestHub({ PORTAL_SESSION_SECRET: randomBytes(32).toString('base64url'), SMTP_URL: sink.url, MAIL_FROM: 'Hub <billing@hub.example>', HUB_NAME: 'Test Hub', ...overrides });
  return { hub, sink };
}

export async function aUser(db: Db, party: string | null, email = `${randomBytes(4).toString('hex')}@people.example`) {
  await createUser(db, { email, party: party ?? undefined, admin: party === null, password: PASSWORD, actor: 'test' });
  return email;
}

export async function aDeadLetter(db: Db, receiver: string, cdr: { country_code: string; party_id: string; id: string }) {
  const message = cdrMessage(cdr, receiver);
  await db('dead_letters').insert({ receiver, module: 'cdrs', object_key: message.object_key, stream_seq: Math.floor(Math.random() * 1e9), message: JSON.stringify(message), reason: 'receiver answered 503 for 7 days', attempts: 42 });
}

/**
 * A result on its way to a requester, as relayCallback and the worker leave it: its own callback
 * (so its own correlation id) and one relay in `state`, received `receivedAgoS` ago.
 */
export async function aResultRelay(
  db: Db,
  relay: { requester: string; responder: string; correlationId: string; state: 'pending' | 'relayed' | 'refused' | 'expired'; attempts: number; lastError: string | null; receivedAgoS?: number },
) {
  const callbackId = randomUUID();
  await db('callbacks').insert({ id: callbackId, module: 'commands', response_url: `https://${relay.requester.toLowerCase()}.example/results/${callbackId}`, requester: relay.requester, responder: relay.responder, correlation_id: relay.correlationId });
  const finished = relay.state !== 'pending';
  await db('callback_relays').insert({
    callback_id: callbackId,
    body: JSON.stringify({ result: 'ACCEPTED' }),
    state: relay.state,
    attempts: relay.attempts,
    last_error: relay.lastError,
    received_at: db.raw('now() - make_interval(secs => ?)', [relay.receivedAgoS ?? 0]),
    next_attempt_at: db.raw(finished ? 'now()' : "now() + interval '1 hour'"),
    finished_at: finished ? db.fn.now() : null,
  });
}

export class Browserish {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${this.base}${path}`, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair.split('=');
      if (value === '' || /Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const buffer = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, text: buffer.toString('utf8'), buffer, setCookies: response.headers.getSetCookie() };
  }

  /** The CSRF token of the first form on a page. */
  async csrf(path: string): Promise<string> {
    const page = await this.request(path);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no form on ${path} (${page.status})`);
    return match[1];
  }

  async login(email: string, password = PASSWORD) {
    const csrf = await this.csrf('/portal/login');
    return this.request('/portal/login', { form: { _csrf: csrf, email, password, next: '/portal' } });
  }

  async post(path: string, form: Record<string, string>, csrfFrom = path) {
    const csrf = await this.csrf(csrfFrom);
    return this.request(path, { form: { _csrf: csrf, ...form } });
  }
}
