// Shared by the security tests: a fingerprint of everything a partner request could change, the
// number of module requests partners received (forwarded by the hub), and a scan of log lines.
import { createHash } from 'node:crypto';
import type { Db } from '../../src/store/db.ts';
import type { TestPartner } from '../support/testPartner.ts';

/**
 * A hash over the rows partner requests may create or change: pushed objects, CDRs, callbacks,
 * parties, platforms' registration and tokens. Columns background work touches (delivery marks,
 * last seen, party status) are left out.
 */
export async function dbSnapshot(db: Db): Promise<string> {
  const queries = [
    db.raw(`select module, country_code, party_id, object_id, md5(data::text) as data, receivers, broadcast, deleted from ocpi_objects order by seq`),
    db.raw(`select country_code, party_id, cdr_id, content_hash, receiver from cdrs order by seq`),
    db.raw(`select id, module, response_url, requester, responder from callbacks order by id`),
    db.raw(`select platform_id, country_code, party_id, role from parties order by platform_id, country_code, party_id, role`),
    db.raw(`select id, state, versions_url, md5(endpoints::text) as endpoints, md5(coalesce(outbound_token_enc, '')) as token from platforms order by id`),
    db.raw(`select token_hash, platform_id from platform_tokens order by token_hash`),
  ];
  const results = await Promise.all(queries);
  return createHash('sha256')
    .update(JSON.stringify(results.map((r) => r.rows)))
    .digest('hex');
}

/** Row counts of the tables pushes land in. */
export async function rowCounts(db: Db): Promise<{ objects: number; cdrs: number; callbacks: number }> {
  const count = async (table: string) => Number((await db(table).count<{ count: string }[]>('* as count'))[0].count);
  return { objects: await count('ocpi_objects'), cdrs: await count('cdrs'), callbacks: await count('callbacks') };
}

const handshake = /^\/ocpi\/(versions|2\.2\.1)?\/?$|\/credentials\b/;

/** Requests the partners received on module endpoints: what the hub forwarded or delivered. */
export function forwardedCount(partners: TestPartner[]): number {
  return partners.reduce((sum, p) => sum + p.received.filter((r) => !handshake.test(r.path.split('?')[0])).length, 0);
}

/**
 * Log lines that carry a secret (as sent, Base64-encoded as OCPI sends it, or URL-encoded) or an
 * Authorization header value. Returned with the secret masked, for the failure message.
 */
export function secretsIn(lines: string[], secrets: string[]): string[] {
  const forms = [...new Set(secrets.filter((s) => s && s.length >= 8).flatMap((s) => [s, Buffer.from(s).toString('base64'), encodeURIComponent(s)]))];
  const found: string[] = [];
  for (const line of lines) {
    const leaked = forms.find((f) => line.includes(f));
    if (leaked) found.push(line.replaceAll(leaked, '<SECRET>').slice(0, 300));
    else if (/"authorization"\s*:\s*"(?!\[Redacted\])|\b(Token|Bearer|Basic) [A-Za-z0-9+/=_-]{8,}/i.test(line)) found.push(line.slice(0, 300));
  }
  return found;
}
