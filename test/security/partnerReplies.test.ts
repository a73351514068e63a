// What a partner answers is partner-controlled: an endless reply must not exhaust the hub's memory,
// and endpoint URLs in version details are held to OCPI's URL type (string(255)).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPLY_BYTES, ocpiRequest, PartnerUnreachableError } from '../../src/hub/ocpiClient.ts';
import { fetchPartnerVersions } from '../../src/partners/partnerVersions.ts';
import { ClientApiError } from '../../src/errors.ts';

let server: http.Server;
let base: string;
let sent = 0;
// Three times the cap: what the hub buffered whole before there was one.
const ENDLESS = 3 * 32 * 1024 * 1024;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/endless') {
      // A valid-looking envelope that never closes, 1 MB at a time until the client hangs up.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status_code":1000,"data":"');
      const chunk = 'x'.repeat(1024 * 1024);
      const pump = () => {
        while (!res.destroyed && sent < ENDLESS) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      res.on('error', () => {});
      pump();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status_code: 1000, data: 'x'.repeat(1000), timestamp: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const get = (path: string) => ocpiRequest({ method: 'GET', url: `${base}${path}`, token: 'QHtoken', encoding: 'base64', timeoutMs: 20_000, allowPrivate: true });

describe('replies from partners', () => {
  it('cuts off a reply larger than MAX_REPLY_BYTES and refuses it as an unusable answer', async () => {
    const err = await get('/endless').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`answered more than ${MAX_REPLY_BYTES} bytes`));
    expect(MAX_REPLY_BYTES).toBeLessThan(ENDLESS);
    expect(sent).toBeLessThan(ENDLESS);
  });

  it('takes an ordinary reply', async () => {
    const reply = await get('/small');
    expect(reply.envelope?.status_code).toBe(1000);
  });
});

describe('endpoint URLs in version details', () => {
  let partner: http.Server;
  let root: string;
  let endpointUrl = '';
  beforeAll(async () => {
    partner = http.createServer((req, res) => {
      const data =
        req.url === '/versions'
          ? [{ version: '2.2.1', url: `${root}/details` }]
          : { version: '2.2.1', endpoints: [{ identifier: 'credentials', role: 'RECEIVER', url: `${root}/credentials` }, { identifier: 'locations', role: 'RECEIVER', url: endpointUrl }] };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status_code: 1000, data, timestamp: new Date().toISOString() }));
    });
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    root = `http://127.0.0.1:${(partner.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => partner.close(resolve)));

  const read = () => fetchPartnerVersions({ versionsUrl: `${root}/versions`, token: 'QHtoken', encoding: 'base64', allowPrivate: true, timeoutMs: 5000 });

  it('refuses one longer than OCPI’s string(255), naming it (forwarding once spent seconds on such a URL)', async () => {
    endpointUrl = `${root}/locations/${'/'.repeat(100_000)}x`;
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientApiError);
    expect((err as Error).message).toBe('version details endpoints[1].url is longer than 255 characters');
  });

  it('takes one of 255 characters', async () => {
    endpointUrl = `${root}/locations/`;
    endpointUrl += 'a'.repeat(255 - endpointUrl.length);
    const versions = await read();
    expect(versions.endpoints[1].url).toBe(endpointUrl);
  });
});
