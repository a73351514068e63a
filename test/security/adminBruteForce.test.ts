// The admin failure limit must hold against parallel guessing: failures are counted before the
// refusal is audited (a database write), or every request in flight passes the limit's check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startTestHub, type TestHub } from '../support/hub.ts';

/** One GET on its own connection, so all of them are in flight at once. */
function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

describe('admin credential failures sent in parallel', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ ADMIN_AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('lets no more wrong guesses through than the burst (6), however many arrive at once', async () => {
    const wrong = { Authorization: `Bearer ${'q'.repeat(32)}` };
    const statuses = await Promise.all(Array.from({ length: 60 }, () => get(`${hub.url}/admin/partners`, wrong)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  });
});
