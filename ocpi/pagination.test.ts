import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCursor, hasNextPage, nextLinkTarget, pageHeaders, parseCursor, parsePageCursor, parsePageRequest } from './pagination.ts';

describe('parsePageRequest', () => {
  it('caps limit at the server maximum and defaults offset to 0', () => {
    expect(parsePageRequest({ limit: '5000' }, { maxLimit: 100 })).toEqual({ ok: true, page: { dateFrom: undefined, dateTo: undefined, offset: 0, limit: 100 } });
  });

  it.each([
    [{ date_from: '2015-06-29T20:39:09+01:00' }, 'date_from'],
    [{ date_to: 'yesterday' }, 'date_to'],
    [{ offset: '-1' }, 'offset'],
    [{ limit: '0' }, 'limit'],
    [{ limit: ['1', '2'] }, 'limit'],
    [{ date_from: '2020-01-02T00:00:00Z', date_to: '2020-01-01T23:59:59Z' }, 'date_to'],
  ])('refuses %o naming %s', (query, path) => {
    const result = parsePageRequest(query, { maxLimit: 100 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual([path]);
  });

  it('takes date_to equal to or later than date_from', () => {
    for (const date_to of ['2020-01-02T00:00:00Z', '2020-01-02T00:00:00.001']) {
      expect(parsePageRequest({ date_from: '2020-01-02T00:00:00', date_to }, { maxLimit: 10 }).ok).toBe(true);
    }
  });

  it.each([[{}], [{ date_from: '' }]])('requires date_from where the module does (sessions): %o', (query) => {
    const result = parsePageRequest(query, { maxLimit: 10, requireDateFrom: true });
    expect(!result.ok && result.errors).toEqual([{ path: 'date_from', message: 'required for this module' }]);
  });
});

const secret = Buffer.alloc(32, 7);

describe('pageHeaders', () => {
  const nextOf = (headers: Record<string, string>) => new URL(/<(.+)>; rel="next"/.exec(headers.Link)![1]);

  it('links to the next page carrying every filter and the last row’s cursor, and omits Link on the last page', () => {
    const url = new URL('https://hub.example/ocpi/2.2.1/sender/cdrs?date_from=2020-01-01T00:00:00Z&limit=2');
    const last = { lastUpdated: '2020-01-02T03:04:05.000120Z', key: '42' };
    const first = pageHeaders(url, { offset: 0, limit: 2 }, { total: 5, returned: 2, last }, 100, secret);
    expect(first).toMatchObject({ 'X-Total-Count': '5', 'X-Limit': '100' });
    expect(Object.fromEntries(nextOf(first).searchParams)).toEqual({ date_from: '2020-01-01T00:00:00Z', limit: '2', offset: '2', cursor: encodeCursor(last, secret) });
    expect(pageHeaders(url, { offset: 4, limit: 2 }, { total: 5, returned: 1, last }, 100, secret).Link).toBeUndefined();
  });

  it('replaces the cursor it was called with by the one of this page’s last row, offset moving on as before', () => {
    const called = { lastUpdated: '2020-01-02T00:00:00Z', key: '7' };
    const last = { lastUpdated: '2020-01-03T00:00:00.5Z', key: '9' };
    const url = new URL(`https://hub.example/ocpi/2.2.1/sender/cdrs?offset=2&limit=2&cursor=${encodeCursor(called, secret)}`);
    const next = nextOf(pageHeaders(url, { offset: 2, limit: 2, after: called }, { total: 9, returned: 2, last: { ...last, more: true } }, 100, secret));
    expect(next.searchParams.getAll('cursor')).toEqual([encodeCursor(last, secret)]);
    expect(next.searchParams.get('offset')).toBe('4');
  });

  it('has no next page after a short page, even when rows arrived since the count', () => {
    const url = new URL('https://hub.example/ocpi/2.2.1/sender/cdrs?limit=3');
    expect(pageHeaders(url, { offset: 0, limit: 3 }, { total: 10, returned: 2, last: { lastUpdated: '2020-01-01T00:00:00Z', key: '1' } }, 100, secret).Link).toBeUndefined();
  });
});

describe('hasNextPage', () => {
  const after = { lastUpdated: '2020-01-02T00:00:00Z', key: '7' };
  const last = { lastUpdated: '2020-01-03T00:00:00Z', key: '9' };

  it.each([
    ['offset page, offset + limit short of the total', { offset: 0, limit: 2 }, { total: 5, returned: 2, last }, true],
    ['offset page reaching the total', { offset: 2, limit: 2 }, { total: 4, returned: 2, last }, false],
    ['offset page, short', { offset: 0, limit: 3 }, { total: 10, returned: 2, last }, false],
    // T1–T5, limit 2: T1 deleted after page 1, so page 2 (T3, T4 at offset 2) counts 4; T5 follows.
    ['cursor page, a row follows, the total shrunk below offset + limit', { offset: 2, limit: 2, after }, { total: 4, returned: 2, last: { ...last, more: true } }, true],
    ['cursor page, no row follows, the total above offset + limit', { offset: 2, limit: 2, after }, { total: 9, returned: 2, last: { ...last, more: false } }, false],
    ['cursor page without what follows known', { offset: 2, limit: 2, after }, { total: 9, returned: 2, last }, false],
    ['cursor page, short', { offset: 2, limit: 2, after }, { total: 9, returned: 1, last: { ...last, more: true } }, false],
  ])('%s', (_, page, found, expected) => {
    expect(hasNextPage(page, found)).toBe(expected);
  });
});

describe('cursor', () => {
  const payloadOf = (value: string) => Buffer.from(value.split('.')[0], 'base64url').toString('utf8');

  it.each([
    [{ lastUpdated: '2031-05-01T10:09:00Z', key: '4711' }, '2031-05-01T10:09:00Z,4711'],
    [{ lastUpdated: '2031-05-01T10:09:00.000000Z', key: '1' }, '2031-05-01T10:09:00Z,1'],
    [{ lastUpdated: '2031-05-01T10:09:00.500000Z', key: '9223372036854775807' }, '2031-05-01T10:09:00.5Z,9223372036854775807'],
    [{ lastUpdated: '2031-05-01T10:09:00.000001Z', key: '0' }, '2031-05-01T10:09:00.000001Z,0'],
  ])('encodes %o as %s, tagged, URL-safe, and reads it back', (cursor, text) => {
    const value = encodeCursor(cursor, secret);
    expect(payloadOf(value)).toBe(text);
    expect(value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{11}$/);
    expect(encodeURIComponent(value)).toBe(value);
    expect(parseCursor(value, 'integer', secret)).toEqual({ ok: true, cursor: { lastUpdated: text.split(',')[0], key: text.split(',')[1] } });
  });

  it('is small: 60 characters at most for a CDR', () => {
    expect(encodeCursor({ lastUpdated: '2031-05-01T10:09:00.123456Z', key: '1000000' }, secret).length).toBeLessThanOrEqual(60);
    expect(encodeCursor({ lastUpdated: '2031-05-01T10:09:00Z', key: '1000000' }, secret).length).toBeLessThanOrEqual(50);
  });

  it('reads a UUID tie-breaker where the list orders by one (hubclientinfo), and only there', () => {
    const cursor = { lastUpdated: '2031-05-01T10:09:00.123456Z', key: '0b5c8f6e-1d2a-4c3b-9e8f-7a6b5c4d3e2f' };
    expect(parseCursor(encodeCursor(cursor, secret), 'uuid', secret)).toEqual({ ok: true, cursor });
    expect(parseCursor(encodeCursor(cursor, secret), 'integer', secret).ok).toBe(false);
    expect(parseCursor(encodeCursor({ ...cursor, key: '12' }, secret), 'uuid', secret).ok).toBe(false);
  });

  const valid = encodeCursor({ lastUpdated: '2031-05-01T10:09:00Z', key: '4711' }, secret);
  const [payload, tag] = valid.split('.');
  /** A payload of our choosing with the tag a client cannot compute (it would need the hub's key). */
  const forged = (text: string) => `${Buffer.from(text).toString('base64url')}.${tag}`;
  /** A payload tagged with the right key: refused for its content alone. */
  const signed = (text: string) => {
    const p = Buffer.from(text).toString('base64url');
    return `${p}.${createHmac('sha256', secret).update(p).digest().subarray(0, 8).toString('base64url')}`;
  };
  it.each([
    ['no tag', payload],
    ['not base64url', 'abc==+/.abc'],
    ['a character of the payload changed', `${payload.slice(0, 5)}${payload[5] === 'A' ? 'B' : 'A'}${payload.slice(6)}.${tag}`],
    ['a character of the tag changed', `${payload}.${tag[0] === 'A' ? 'B' : 'A'}${tag.slice(1)}`],
    ['truncated', valid.slice(0, -2)],
    ['another seq under the old tag', forged('2031-05-01T10:09:00Z,4712')],
    ['another time under the old tag', forged('2031-05-01T10:10:00Z,4711')],
    ['the tag of another key', encodeCursor({ lastUpdated: '2031-05-01T10:09:00Z', key: '4711' }, Buffer.alloc(32, 8))],
    ['no key (even tagged)', signed('2031-05-01T10:09:00Z')],
    ['a date that does not exist (even tagged)', signed('2031-02-30T10:09:00Z,1')],
    ['a key past bigint (even tagged)', signed('2031-05-01T10:09:00Z,9223372036854775808')],
    ['SQL in the key (even tagged)', signed('2031-05-01T10:09:00Z,1) OR (1=1')],
    ['too long', `${'A'.repeat(120)}.${tag}`],
  ])('refuses %s', (_, value) => {
    expect(parseCursor(value, 'integer', secret).ok).toBe(false);
  });

  it('is optional, and a bad or repeated one is named `cursor`', () => {
    expect(parsePageCursor({ offset: '10' }, 'integer', secret)).toEqual({ ok: true, cursor: undefined });
    expect(parsePageCursor({ cursor: '' }, 'integer', secret)).toEqual({ ok: true, cursor: undefined });
    expect(parsePageCursor({ cursor: 'nope' }, 'integer', secret)).toMatchObject({ ok: false, errors: [{ path: 'cursor' }] });
    expect(parsePageCursor({ cursor: [valid, valid] }, 'integer', secret)).toEqual({ ok: false, errors: [{ path: 'cursor', message: 'must be given once' }] });
  });

  it('is not a parameter of parsePageRequest (a forwarded list passes the owner’s own through)', () => {
    expect(parsePageRequest({ cursor: 'owner-specific==' }, { maxLimit: 10 })).toMatchObject({ ok: true });
  });
});

describe('nextLinkTarget', () => {
  it.each([
    ['<https://cpo.example/cdrs?offset=50&limit=50>; rel="next"', 'https://cpo.example/cdrs?offset=50&limit=50'],
    ['<https://cpo.example/cdrs?offset=50>; rel=next', 'https://cpo.example/cdrs?offset=50'],
    ['<https://cpo.example/a?offset=0>; rel="prev", <https://cpo.example/a?offset=100>; rel="next"', 'https://cpo.example/a?offset=100'],
    ['<https://cpo.example/a?x=1,2>; title="page"; REL="Next Last"', 'https://cpo.example/a?x=1,2'],
    ['</ocpi/cpo/2.2.1/cdrs?offset=10>; rel="next"', '/ocpi/cpo/2.2.1/cdrs?offset=10'],
  ])('finds the next page in %s', (header, target) => {
    expect(nextLinkTarget(header)).toBe(target);
  });

  it.each([[undefined], [null], [''], ['<https://cpo.example/a>; rel="prev"'], ['https://cpo.example/a; rel="next"']])('finds none in %s', (header) => {
    expect(nextLinkTarget(header)).toBeUndefined();
  });
});

describe('nextLinkTarget on what partners may send', () => {
  it('finds nothing in a header of 16,000 "<" and still finds a next link after stray ones', () => {
    expect(nextLinkTarget('<'.repeat(16_000))).toBeUndefined();
    expect(nextLinkTarget(`${'<'.repeat(100)}<https://p.example/cdrs?offset=50>; rel="next"`)).toBe('https://p.example/cdrs?offset=50');
  });
});

