// Pagination per transport_and_format.asciidoc §Pagination: date_from (inclusive), date_to
// (exclusive), offset, limit; Link (rel="next", carrying every filter), X-Total-Count, X-Limit.
import { isOcpiDateTime } from './dateTime.ts';

export interface PageRequest {
  dateFrom?: Date;
  dateTo?: Date;
  offset: number;
  limit: number;
}

export interface PageParamError {
  path: string;
  message: string;
}

export function parsePageRequest(
  query: Record<string, string | string[] | undefined>,
  options: { maxLimit: number; requireDateFrom?: boolean },
): { ok: true; page: PageRequest } | { ok: false; errors: PageParamError[] } {
  const errors: PageParamError[] = [];
  const single = (name: string) => {
    const value = query[name];
    if (Array.isArray(value)) {
      errors.push({ path: name, message: 'must be given once' });
      return undefined;
    }
    return value === '' ? undefined : value;
  };
  const date = (name: string) => {
    const value = single(name);
    if (value === undefined) return undefined;
    if (!isOcpiDateTime(value)) {
      errors.push({ path: name, message: 'must be an RFC 3339 UTC DateTime, e.g. 2015-06-29T20:39:09Z' });
      return undefined;
    }
    return new Date(value.endsWith('Z') ? value : `${value}Z`);
  };
  const integer = (name: string, fallback: number, min: number) => {
    const value = single(name);
    if (value === undefined) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < min) {
      errors.push({ path: name, message: `must be an integer >= ${min}` });
      return fallback;
    }
    return Number(value);
  };
  const dateFrom = date('date_from');
  const dateTo = date('date_to');
  if (options.requireDateFrom && query.date_from === undefined) errors.push({ path: 'date_from', message: 'required for this module' });
  const offset = integer('offset', 0, 0);
  const limit = Math.min(integer('limit', options.maxLimit, 1), options.maxLimit);
  if (errors.length) return { ok: false, errors };
  return { ok: true, page: { dateFrom, dateTo, offset, limit } };
}

/** Response headers for one page. `url` is the request URL as the client sees it. */
export function pageHeaders(url: URL, page: PageRequest, total: number, maxLimit: number): Record<string, string> {
  const headers: Record<string, string> = { 'X-Total-Count': String(total), 'X-Limit': String(maxLimit) };
  if (page.offset + page.limit < total) {
    const next = new URL(url);
    next.searchParams.set('offset', String(page.offset + page.limit));
    next.searchParams.set('limit', String(page.limit));
    headers.Link = `<${next.toString()}>; rel="next"`;
  }
  return headers;
}

/**
 * The target of a `Link` header's `rel="next"` (RFC 8288): `<url>; rel="next"`, possibly among
 * other links, rel quoted or not, several relation types in one. Undefined when there is none.
 */
export function nextLinkTarget(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (types.includes('next')) return match[1].trim();
  }
  return undefined;
}
