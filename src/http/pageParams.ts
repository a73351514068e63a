import { hkdfSync } from 'node:crypto';
import type { Context } from 'koa';
import { parsePageCursor, parsePageRequest, pageHeaders, type CursorKey, type PageCursor, type PageFound, type PageRequest } from '../../ocpi/pagination.ts';
import type { Config } from '../config.ts';
import { InvalidParametersError } from '../errors.ts';
import { publicUrl } from './publicUrl.ts';

type PageConfig = Pick<Config, 'HUB_PUBLIC_URL' | 'PAGE_LIMIT_MAX' | 'TOKEN_ENCRYPTION_KEY'>;

/** Reads pagination parameters (2001 naming the parameter when wrong). */
export function pageRequest(ctx: Context, maxLimit: number, options: { requireDateFrom?: boolean } = {}): PageRequest {
  const result = parsePageRequest(ctx.query, { maxLimit, requireDateFrom: options.requireDateFrom });
  if (!result.ok) throw invalid(result.errors);
  return result.page;
}

/**
 * Reads the hub's `cursor` (2001 naming `cursor` when the hub did not make it). Only where the
 * hub answers the list itself: a list forwarded to its owner carries the owner's parameters.
 */
export function pageCursor(ctx: Context, config: PageConfig, keyKind: CursorKey): PageCursor | undefined {
  const result = parsePageCursor(ctx.query, keyKind, cursorSecret(config));
  if (!result.ok) throw invalid(result.errors);
  return result.cursor;
}

/** Sets Link / X-Total-Count / X-Limit for a page, using the URL the client called. */
export function setPageHeaders(ctx: Context, config: PageConfig, page: PageRequest, found: PageFound): void {
  const url = publicUrl(config, ctx.originalUrl);
  for (const [name, value] of Object.entries(pageHeaders(url, page, found, config.PAGE_LIMIT_MAX, cursorSecret(config)))) ctx.set(name, value);
}

const secrets = new Map<string, Buffer>();

/**
 * The key that tags page cursors, derived from TOKEN_ENCRYPTION_KEY as the token keys are (its own
 * HKDF label): every web process of a hub accepts the others' cursors, and no setting is added.
 */
export function cursorSecret(config: Pick<Config, 'TOKEN_ENCRYPTION_KEY'>): Buffer {
  let secret = secrets.get(config.TOKEN_ENCRYPTION_KEY);
  if (!secret) {
    secret = Buffer.from(hkdfSync('sha256', Buffer.from(config.TOKEN_ENCRYPTION_KEY, 'base64'), Buffer.alloc(0), 'ocpi-hub page cursor', 32));
    secrets.set(config.TOKEN_ENCRYPTION_KEY, secret);
  }
  return secret;
}

const invalid = (errors: { path: string; message: string }[]) => new InvalidParametersError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
