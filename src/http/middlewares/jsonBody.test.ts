// A body cut off by a closed connection is the client's doing (or the request timeout's): it must not
// be logged as an unexpected server error nor counted as an OCPI 3000 in the request log.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.ts';
import { jsonBody } from './jsonBody.ts';
import { renderErrors } from './renderErrors.ts';
import type { RequestState } from './requestContext.ts';

const lines: string[] = [];
const log = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) as never });
const outcomes: { ocpiStatus?: number }[] = [];
let port = 0;
let server: ReturnType<Koa['listen']>;

beforeAll(async () => {
  const app = new Koa();
  app.silent = true; // the answer to a closed socket cannot be written; Koa would print that
  app.use(async (ctx, next) => {
    const state = { requestId: 'r1', log } as unknown as RequestState;
    ctx.state.request = state;
    try {
      await next();
    } finally {
      outcomes.push({ ocpiStatus: state.ocpiStatus });
    }
  });
  app.use(renderErrors());
  app.use(jsonBody(1024 * 1024));
  app.use((ctx) => {
    ctx.body = { status_code: 1000, data: ctx.state.body };
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > end ? reject(new Error('timed out')) : setTimeout(tick, 10));
    tick();
  });
}

describe('jsonBody', () => {
  it('a body cut off by the client closing its socket is no unexpected error and no 3000', async () => {
    const before = outcomes.length;
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await until(() => outcomes.length > before);
    expect(outcomes.at(-1)).toEqual({ ocpiStatus: 2000 });
    expect(lines.filter((l) => l.includes('unexpected error'))).toEqual([]);
  });

  it('a whole body is parsed', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":"A"}' });
    expect(await res.json()).toEqual({ status_code: 1000, data: { id: 'A' } });
  });
});
