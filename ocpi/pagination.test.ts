import { describe, expect, it } from 'vitest';
import { nextLinkTarget, pageHeaders, parsePageRequest } from './pagination.ts';

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
  ])('refuses %o naming %s', (query, path) => {
    const result = parsePageRequest(query, { maxLimit: 100 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual([path]);
  });

  it('requires date_from where the module does (sessions)', () => {
    const result = parsePageRequest({}, { maxLimit: 10, requireDateFrom: true });
    expect(!result.ok && result.errors[0]).toEqual({ path: 'date_from', message: 'required for this module' });
  });
});

describe('pageHeaders', () => {
  it('links to the next page carrying every filter, and omits Link on the last page', () => {
    const url = new URL('https://hub.example/ocpi/2.2.1/sender/cdrs?date_from=2020-01-01T00:00:00Z&limit=2');
    const first = pageHeaders(url, { offset: 0, limit: 2 }, 5, 100);
    expect(first).toMatchObject({ 'X-Total-Count': '5', 'X-Limit': '100' });
    const next = new URL(/<(.+)>; rel="next"/.exec(first.Link)![1]);
    expect(Object.fromEntries(next.searchParams)).toEqual({ date_from: '2020-01-01T00:00:00Z', limit: '2', offset: '2' });
    expect(pageHeaders(url, { offset: 4, limit: 2 }, 5, 100).Link).toBeUndefined();
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
