import type { Config } from '../config.ts';

/**
 * The URL a client uses for a path the hub serves. HUB_PUBLIC_URL may carry a path prefix (a
 * reverse proxy at https://example.com/hub/ that strips it before the hub sees the request), so
 * the request's path is appended to it rather than resolved against it, which would drop the prefix.
 */
export function publicUrl(config: Pick<Config, 'HUB_PUBLIC_URL'>, pathAndQuery: string): URL {
  return new URL(`${config.HUB_PUBLIC_URL}${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`);
}
