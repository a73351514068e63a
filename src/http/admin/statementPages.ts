// Paging of the admin API's statement lists, as the partner-facing OCPI lists page: `limit`
// (capped at PAGE_LIMIT_MAX, which is also the default), `offset`, X-Total-Count, X-Limit and a
// Link rel="next" carrying every filter. The Link also carries `after`, the page's last statement:
// the next page starts past it, so statements issued during a walk neither shift it nor repeat.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { publicUrl } from '../publicUrl.ts';
import { parseInput } from './parseInput.ts';

export interface StatementPageRequest {
  offset: number;
  limit: number;
  after?: string;
}

const PageQuery = z.object({
  limit: z.string().regex(/^\d{1,9}$/, 'must be an integer >= 1').transform(Number).refine((n) => n >= 1, 'must be an integer >= 1').optional(),
  offset: z.string().regex(/^\d{1,9}$/, 'must be an integer >= 0').transform(Number).optional(),
  after: z.string().min(1).max(200).optional(),
});

/** The page asked for (2001 naming `limit`, `offset` or `after` when wrong); limit capped, not refused. */
export function statementPageRequest(ctx: Context, config: Pick<Config, 'PAGE_LIMIT_MAX'>): StatementPageRequest {
  const { limit, offset, after } = parseInput(PageQuery, { limit: ctx.query.limit, offset: ctx.query.offset, after: ctx.query.after });
  return { offset: offset ?? 0, limit: Math.min(limit ?? config.PAGE_LIMIT_MAX, config.PAGE_LIMIT_MAX), after };
}

/** X-Total-Count, X-Limit and, when a statement follows this page, Link rel="next". */
export function setStatementPageHeaders(ctx: Context, config: Pick<Config, 'PAGE_LIMIT_MAX' | 'HUB_PUBLIC_URL'>, page: StatementPageRequest, found: { total: number; more: boolean; lastId?: string }): void {
  ctx.set('X-Total-Count', String(found.total));
  ctx.set('X-Limit', String(config.PAGE_LIMIT_MAX));
  if (!found.more || found.lastId === undefined) return;
  const next = publicUrl(config, ctx.originalUrl);
  next.searchParams.set('offset', String(page.offset + page.limit));
  next.searchParams.set('limit', String(page.limit));
  next.searchParams.set('after', found.lastId);
  ctx.set('Link', `<${next.toString()}>; rel="next"`);
}
