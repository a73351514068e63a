import type { Context } from 'koa';
import { parsePageRequest, pageHeaders, type PageRequest } from '../../ocpi/pagination.ts';
import { InvalidParametersError } from '../errors.ts';

/** Reads pagination parameters (2001 naming the parameter when wrong). */
export function pageRequest(ctx: Context, maxLimit: number, options: { requireDateFrom?: boolean } = {}): PageRequest {
  const result = parsePageRequest(ctx.query, { maxLimit, requireDateFrom: options.requireDateFrom });
  if (!result.ok) throw new InvalidParametersError(result.errors.map((e) => `${e.path}: ${e.message}`).join('; '), result.errors);
  return result.page;
}

/** Sets Link / X-Total-Count / X-Limit for a page, using the URL the client called. */
export function setPageHeaders(ctx: Context, publicUrl: string, page: PageRequest, total: number, maxLimit: number): void {
  const url = new URL(ctx.originalUrl, publicUrl);
  for (const [name, value] of Object.entries(pageHeaders(url, page, total, maxLimit))) ctx.set(name, value);
}
