// Tokens never reach a log, whatever shape the logged object has: HTTP client errors carry their
// request options (headers in any case, basic-auth passwords) deeper than the redact paths reach.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { secretsIn } from './support.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination: destination as never }), lines };
}

const secrets = ['QHtokenCAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'QHpaypalSecretBBBBBBBB', 'QHsmtpPassword1', 'QHsessionCookieValue'];
const [tokenC, paypalSecret, smtpPassword, cookie] = secrets;

describe('log redaction', () => {
  it('censors an HTTP client error’s request options and response headers, keeping what it says', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('Request failed with status code 401'), {
      status: 401,
      config: { url: 'https://api.paypal.example/v1/oauth2/token', headers: { Authorization: `Basic ${Buffer.from(`id:${paypalSecret}`).toString('base64')}` }, auth: { username: 'id', password: paypalSecret } },
      request: { options: { headers: { authorization: `Token ${Buffer.from(tokenC).toString('base64')}`, 'X-Request-ID': 'r1' } } },
      response: { headers: { 'set-cookie': [`hub_session=${cookie}`] } },
    });
    log.error({ err }, 'call failed');
    expect(secretsIn(lines, secrets)).toEqual([]);
    const entry = JSON.parse(lines[0]);
    expect(entry.err.message).toBe('Request failed with status code 401');
    expect(entry.err.status).toBe(401);
    expect(entry.err.config.url).toBe('https://api.paypal.example/v1/oauth2/token');
    expect(entry.err.request.options.headers['X-Request-ID']).toBe('r1');
  });

  it('masks credentials inside error text: URL user info and Authorization values', () => {
    const { log, lines } = capture();
    log.error({ err: new Error(`connect smtp://billing:${smtpPassword}@mail.example:587 failed; sent Bearer ${paypalSecret}`) }, 'mail failed');
    expect(secretsIn(lines, secrets)).toEqual([]);
    expect(JSON.parse(lines[0]).err.message).toBe('connect smtp://[redacted]@mail.example:587 failed; sent Bearer [redacted]');
  });

  it('censors an Authorization header spelt as the hub sends it, wherever a caller nests it', () => {
    const { log, lines } = capture();
    log.info({ request: { method: 'GET', extraHeaders: { Authorization: `Token ${tokenC}` } } }, 'outbound');
    log.info({ headers: { Authorization: `Token ${tokenC}`, cookie: `hub_session=${cookie}` } }, 'inbound');
    expect(secretsIn(lines, secrets)).toEqual([]);
    expect(JSON.parse(lines[0]).request.method).toBe('GET');
  });

  it('survives a cyclic error', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('loop'), { self: undefined as unknown, token: tokenC });
    err.self = err;
    log.error({ err }, 'cyclic');
    expect(secretsIn(lines, secrets)).toEqual([]);
    expect(JSON.parse(lines[0]).err.message).toBe('loop');
  });
});
