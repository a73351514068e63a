// DNS rebinding: a partner host name that resolved to a public address at registration could be
// re-pointed at the hub's own network later. Outbound calls therefore check the addresses at every
// new connection (src/hub/ocpiClient.ts), not only when the URL was given.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocpiRequest, PartnerUnreachableError } from '../../src/hub/ocpiClient.ts';

let server: http.Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status_code: 1000, data: [], timestamp: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const get = (host: string, allowPrivate: boolean) => ocpiRequest({ method: 'GET', url: `http://${host}:${port}/ocpi/versions`, token: 't', encoding: 'base64', timeoutMs: 2000, allowPrivate });

describe('outbound calls to partners that must be public', () => {
  it('refuse a host name that resolves to loopback when connecting, sending nothing', async () => {
    const before = hits;
    const err = await get('localhost', false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerUnreachableError);
    expect(String((err as Error & { cause?: Error }).cause?.message)).toMatch(/localhost now resolves to .*loopback, private or reserved/);
    expect(hits).toBe(before);
  });

  it('refuse a private address literal', async () => {
    const before = hits;
    await expect(get('127.0.0.1', false)).rejects.toBeInstanceOf(PartnerUnreachableError);
    expect(hits).toBe(before);
  });

  it('reach the same partner when private addresses are allowed (tests, local demos)', async () => {
    const reply = await get('localhost', true);
    expect(reply.envelope?.status_code).toBe(1000);
  });
});
