import { describe, expect, it } from 'vitest';
import { pageOf, pager } from './paging.ts';

const links = { label: 'Statement pages', newest: 'Newest', older: 'Older' };

describe('pageOf', () => {
  it.each([
    [[1, 2, 3], 2, [1, 2], true],
    [[1, 2], 2, [1, 2], false],
    [[], 2, [], false],
  ])('%j at %i a page', (found, size, rows, more) => {
    expect(pageOf(found, size)).toEqual({ rows, more });
  });
});

describe('pager', () => {
  it('is nothing on a first page with nothing older', () => {
    expect(pager({ ...links, path: '/portal/statements', before: undefined, olderBefore: undefined })).toBe('');
  });
  it('keeps the filters in the link to older rows, escaped', () => {
    const nav = String(pager({ ...links, path: '/portal/statements?status=overdue', before: 'A', olderBefore: 'NL/X 1' }));
    expect(nav).toContain('<a href="/portal/statements?status=overdue">Newest</a>');
    expect(nav).toContain('href="/portal/statements?status=overdue&amp;before=NL%2FX%201" rel="next">Older</a>');
  });
});
