// The admin API's statement lists (billing's /admin/statements and the clearing cycle's
// /admin/clearing/cycles/:id/statements) and `hub statements list` page like the partner-facing
// lists: a limit capped by the server, offset (or the Link's `after`), a stable order and the total.
// With more statements than one page, walking every page yields every statement exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, type TestHub } from '../support/hub.ts';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements } from '../../src/clearing/statements.ts';
import { ensureTracked, listAccounts } from '../../src/billing/tracking.ts';
import { runWith } from '../../src/cli/statements.ts';
import { aCdr, aParty, anAgreement, cdrMessage } from './support.ts';

// A currency of its own: no other test clears BGN.
const CURRENCY = 'BGN';
const PERIOD = '2094-02';
const CAP = 5;
let hub: TestHub;
let db: Db;
let admin: Record<string, string>;
let cycleId: string;
let all: string[];

beforeAll(async () => {
  hub = await startTestHub({ PAGE_LIMIT_MAX: String(CAP) });
  db = hub.deps.db;
  admin = { Authorization: `Bearer ${hub.config.ADMIN_TOKEN}` };
  // One CPO charging twelve eMSPs: thirteen statements in one cycle.
  const cpo = await aParty(db, ['CPO']);
  const messages = [];
  for (let i = 0; i < 12; i++) {
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await anAgreement(db, cpo, emsp, { valid_from: '2094-01-01T00:00:00Z', currencies: [CURRENCY] });
    messages.push(cdrMessage(aCdr(cpo, { currency: CURRENCY, excl: `${10 + i}.00`, incl: `${12 + i}.00`, end: `${PERIOD}-${String(3 + i).padStart(2, '0')}T10:00:00Z` }), emsp));
  }
  await bookCdrs(db, messages);
  const [cycle] = await openCycles(db, PERIOD, CURRENCY);
  cycleId = cycle.id;
  await closeCycles(db, [cycleId]);
  await netCycles(db, [cycleId]);
  await generateStatements(db, [cycleId], { name: 'Test Hub', party: 'NL-HUB' });
  await ensureTracked(db);
  all = (await listAccounts(db, { cycle: cycleId })).map((a) => a.statement_id);
  expect(all).toHaveLength(13);
});

afterAll(async () => {
  await hub?.stop();
});

const get = (path: string) => call(path.startsWith('http') ? path : `${hub.url}/admin${path}`, { headers: admin });
const nextLink = (link: string | null) => (link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined);

/** Follows Link from the first page to the last; every page's total and limit as the headers say. */
async function walk(first: string, idOf: (row: any) => string) {
  const ids: string[] = [];
  const pages: { size: number; total: string | null; limit: string | null }[] = [];
  for (let url: string | undefined = first; url; ) {
    const page = await get(url);
    expect([page.status, page.body.status_code]).toEqual([200, 1000]);
    ids.push(...page.body.data.map(idOf));
    pages.push({ size: page.body.data.length, total: page.headers.get('x-total-count'), limit: page.headers.get('x-limit') });
    url = nextLink(page.headers.get('link'));
    expect(pages.length).toBeLessThan(10);
  }
  return { ids, pages };
}

describe('statement lists of the admin API and the CLI', () => {
  it('walk every billing statement once, a capped page at a time', async () => {
    // Asking for more than the server gives gets the cap.
    const { ids, pages } = await walk(`/statements?cycle=${cycleId}&limit=1000`, (r) => r.statement_id);
    expect(pages.map((p) => p.size)).toEqual([5, 5, 3]);
    expect(pages.every((p) => p.total === '13' && p.limit === String(CAP))).toBe(true);
    expect(ids).toEqual(all);
    expect(new Set(ids).size).toBe(13);

    // By offset alone, the same order.
    const byOffset: string[] = [];
    for (let offset = 0; offset < 13; offset += 4) byOffset.push(...(await get(`/statements?cycle=${cycleId}&limit=4&offset=${offset}`)).body.data.map((r: any) => r.statement_id));
    expect(byOffset).toEqual(all);

    // A filter computed per statement (status) pages the same way.
    const open = (await listAccounts(db, { cycle: cycleId, status: 'open' })).map((a) => a.statement_id);
    expect(open.length).toBeGreaterThan(CAP);
    const filtered = await walk(`/statements?cycle=${cycleId}&status=open&limit=2`, (r) => r.statement_id);
    expect(filtered.ids).toEqual(open);
    expect(filtered.pages.every((p) => p.total === String(open.length))).toBe(true);
  });

  it('walk every statement of a cycle once', async () => {
    const { ids, pages } = await walk(`/clearing/cycles/${cycleId}/statements?limit=4`, (r) => r.id);
    expect(pages.map((p) => p.size)).toEqual([4, 4, 4, 1]);
    expect(pages.every((p) => p.total === '13')).toBe(true);
    expect(ids).toEqual([...all].sort());
  });

  it('refuse a wrong limit, offset or after with 2001 naming it', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['after=ST-NO-SUCH', 'after'],
    ]) {
      const page = await get(`/statements?cycle=${cycleId}&${query}`);
      expect(page.body.status_code).toBe(2001);
      expect(page.body.status_message).toContain(field);
    }
    const cycle = await get(`/clearing/cycles/${cycleId}/statements?offset=x`);
    expect(cycle.body.status_code).toBe(2001);
    expect(cycle.body.status_message).toContain('offset');
  });

  it('hub statements list pages with --limit and --offset', async () => {
    const list = async (...args: string[]) => {
      let text = '';
      expect(await runWith(hub.deps, ['list', '--cycle', cycleId, ...args], { stdout: { write: (chunk: string) => (text += chunk) } })).toBe(0);
      return text;
    };
    const ids: string[] = [];
    for (let offset = 0; ; offset += 4) {
      const page = JSON.parse(await list('--limit', '4', '--offset', String(offset), '--json')).map((r: any) => r.statement_id);
      ids.push(...page);
      if (page.length < 4) break;
    }
    expect(ids).toEqual(all);
    expect(await list('--limit', '4', '--offset', '4')).toContain('statements 5-8 of 13; next page: --offset 8');
    expect(await list('--offset', '10')).toMatch(/statements 11-13 of 13\n$/);
  });
});
