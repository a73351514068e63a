// The web role's limits on slow clients (HTTP_HEADERS_TIMEOUT_S, HTTP_REQUEST_TIMEOUT_S,
// HTTP_KEEP_ALIVE_TIMEOUT_S), with raw sockets against a hub started the way `hub start` starts it:
// a client that sends its headers or its body too slowly, or that keeps a keep-alive connection
// open with empty lines, gets an OCPI 408 and loses the socket within about a second of its limit.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from './support/hub.ts';
import { ConfigError, parseConfig } from '../src/config.ts';
import { serverOptions } from '../src/http/serverTimeouts.ts';

let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub({ HTTP_HEADERS_TIMEOUT_S: '1', HTTP_REQUEST_TIMEOUT_S: '2', HTTP_KEEP_ALIVE_TIMEOUT_S: '1' });
});

afterAll(async () => {
  await hub?.stop();
});

interface Exchange {
  /** Everything the hub sent. */
  text: string;
  /** Milliseconds from connecting until the hub closed the connection. */
  closedAfterMs: number;
}

/**
 * Opens a raw connection, writes `first`, then `drip` every `everyMs` until the hub closes the
 * connection (or `giveUpMs` passes: then the test fails).
 */
function exchange(first: string, drip: string | undefined, options: { everyMs?: number; giveUpMs?: number; afterResponse?: boolean } = {}): Promise<Exchange> {
  const { everyMs = 200, giveUpMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const startDripping = (socket: Socket) => {
      if (drip !== undefined && !timer) timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
    };
    const socket = connect(new URL(hub.url).port as unknown as number, '127.0.0.1', () => {
      socket.write(first);
      if (!options.afterResponse) startDripping(socket);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${giveUpMs} ms; received: ${text}`));
    }, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      // The first response is complete when its body (Content-Length) is.
      if (options.afterResponse && /\r\n\r\n/.test(text)) startDripping(socket);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

/** The responses in `text`, in order: status and parsed JSON body. */
function responses(text: string): { status: number; body: Record<string, unknown> }[] {
  const found: { status: number; body: Record<string, unknown> }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, headEnd);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    found.push({ status: Number(head.slice(9, 12)), body: JSON.parse(body) });
    rest = rest.slice(headEnd + 4 + length);
  }
  return found;
}

const expectTimedOut = (result: Exchange, limitMs: number) => {
  const answers = responses(result.text);
  expect(answers.at(-1), result.text).toMatchObject({ status: 408, body: { status_code: 2000, status_message: expect.stringMatching(/in time/) } });
  expect(result.closedAfterMs).toBeGreaterThanOrEqual(limitMs - 100);
  // The limit plus the 250 ms sweep and some slack, far below Node's 60 s and 300 s.
  expect(result.closedAfterMs).toBeLessThan(limitMs + 1500);
};

describe('a slow client', () => {
  it('sending its headers a line at a time gets 408 at HTTP_HEADERS_TIMEOUT_S', async () => {
    expectTimedOut(await exchange('GET /ocpi/versions HTTP/1.1\r\nHost: hub\r\n', 'X-Slow: 1\r\n'), 1000);
  });

  it('that sends nothing after connecting gets 408 at HTTP_HEADERS_TIMEOUT_S', async () => {
    expectTimedOut(await exchange('', undefined), 1000);
  });

  it('whose body never finishes gets 408 at HTTP_REQUEST_TIMEOUT_S', async () => {
    const head = 'POST /ocpi/2.2.1/receiver/cdrs HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"id":"';
    expectTimedOut(await exchange(head, 'a'), 2000);
  });

  it('keeping a keep-alive connection open with empty lines (Node issue 58140) gets 408 after keep-alive plus headers timeout', async () => {
    const result = await exchange('GET /ocpi/versions HTTP/1.1\r\nHost: hub\r\n\r\n', '\r\n', { afterResponse: true });
    const answers = responses(result.text);
    expect(answers.map((a) => a.status)).toEqual([401, 408]);
    expect(answers[1].body).toMatchObject({ status_code: 2000, status_message: 'no request on this connection in time' });
    // 1 s keep-alive, the 1 s Node adds to it, 1 s for headers.
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(2900);
    expect(result.closedAfterMs).toBeLessThan(4500);
  });
});

describe('a client within the limits', () => {
  it('is answered, also on a keep-alive connection reused before HTTP_KEEP_ALIVE_TIMEOUT_S, and the connection is closed once idle', async () => {
    const ok = await call(`${hub.url}/admin/partners`, { headers: { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` } });
    expect(ok.status, ok.text).toBe(200);
    const get = `GET /admin/partners HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${hub.config.ADMIN_TOKEN}\r\n\r\n`;
    // The second request 500 ms after the first, on the same connection; then the client goes quiet.
    const result = await new Promise<Exchange>((resolve) => {
      const started = Date.now();
      let text = '';
      const socket = connect(Number(new URL(hub.url).port), '127.0.0.1', () => socket.write(get));
      setTimeout(() => socket.write(get), 500);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }));
      setTimeout(() => socket.destroy(), 8000).unref();
    });
    expect(responses(result.text).map((r) => r.status)).toEqual([200, 200]);
    // Closed by Node's keep-alive timeout (1 s, and the 1 s Node adds, after the second answer), without a 408.
    expect(result.closedAfterMs).toBeLessThan(3500);
  });

  it('sending a body in parts within HTTP_REQUEST_TIMEOUT_S is answered', async () => {
    const body = JSON.stringify({ name: 'HTTP timeouts test' });
    const head = `POST /admin/partners/invitations HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nAuthorization: Bearer ${hub.config.ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(Number(new URL(hub.url).port), '127.0.0.1', () => {
        socket.write(head + body.slice(0, 10));
        setTimeout(() => socket.write(body.slice(10)), 1200);
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
    });
    expect(responses(result)[0]).toMatchObject({ status: 201, body: { status_code: 1000 } });
  });
});

describe('configuration', () => {
  const base = { ADMIN_TOKEN: 'x'.repeat(24), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') };
  const refusal = (env: Record<string, string>) => {
    try {
      parseConfig({ ...base, ...env });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('defaults to 20 s for headers, 60 s for the request and 65 s keep-alive, checked every second', () => {
    const config = parseConfig(base);
    expect([config.HTTP_HEADERS_TIMEOUT_S, config.HTTP_REQUEST_TIMEOUT_S, config.HTTP_KEEP_ALIVE_TIMEOUT_S]).toEqual([20, 60, 65]);
    expect(serverOptions(config)).toEqual({ headersTimeout: 20_000, requestTimeout: 60_000, keepAliveTimeout: 65_000, connectionsCheckingInterval: 1000 });
  });

  it.each([
    [{ HTTP_HEADERS_TIMEOUT_S: '-1' }, /HTTP_HEADERS_TIMEOUT_S must be at least 1 \(seconds\)/],
    [{ HTTP_REQUEST_TIMEOUT_S: '0' }, /HTTP_REQUEST_TIMEOUT_S must be at least 1 \(seconds\)/],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_S: 'soon' }, /HTTP_KEEP_ALIVE_TIMEOUT_S must be a number of seconds/],
    [{ HTTP_REQUEST_TIMEOUT_S: '86400' }, /HTTP_REQUEST_TIMEOUT_S must be at most 3600/],
    [{ HTTP_HEADERS_TIMEOUT_S: '30', HTTP_REQUEST_TIMEOUT_S: '10' }, /HTTP_HEADERS_TIMEOUT_S \(30\) must not be longer than HTTP_REQUEST_TIMEOUT_S \(10\)/],
    [{ HTTP_HEADERS_TIMEOUT_S: '61' }, /HTTP_HEADERS_TIMEOUT_S \(61\) must not be longer than HTTP_REQUEST_TIMEOUT_S \(60\)/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(refusal(env)).toMatch(message);
  });
});
