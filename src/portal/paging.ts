// Paging of the portal's long lists (CDRs, disputes, statements): newest first, a page at a time,
// `before` naming the last row of the page before. A keyset rather than an offset, so a page does
// not shift when new rows arrive while someone reads the older ones.
import { html, type SafeHtml } from './html.ts';

/** A page of rows from a query asked for one row more than fits: the extra one says there are older. */
export function pageOf<T>(found: T[], size: number): { rows: T[]; more: boolean } {
  return { rows: found.slice(0, size), more: found.length > size };
}

/**
 * The links to the newest and the next older page. `path` is the list with its filters (its query
 * string, if any, already encoded); `olderBefore` the key of the page's last row when there are older.
 */
export function pager(o: { label: string; path: string; before: string | undefined; olderBefore: string | undefined; newest: string; older: string }): SafeHtml | '' {
  if (!o.before && !o.olderBefore) return '';
  const join = o.path.includes('?') ? '&' : '?';
  const older = o.olderBefore ? html`<a href="${o.path}${join}before=${encodeURIComponent(o.olderBefore)}" rel="next">${o.older}</a>` : '';
  return html`<nav aria-label="${o.label}"><p>${o.before ? html`<a href="${o.path}">${o.newest}</a> ` : ''}${older}</p></nav>`;
}
