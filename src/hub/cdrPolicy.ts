// Per-platform CDR policy: business-rule findings flag a CDR ('flag', the default) or refuse it
// ('reject'). Read on every CDR, so cached; a change clears this process's cache at once and
// reaches other web processes within the TTL.
import { audit } from '../store/audit.ts';
import type { HubDeps } from '../deps.ts';
import { TtlCache } from '../ttlCache.ts';

export type CdrPolicy = 'flag' | 'reject';

const policies = new TtlCache<string, CdrPolicy>(2000);

export function cdrPolicy(deps: HubDeps, platformId: string): Promise<CdrPolicy> {
  return policies.get(platformId, async () => ((await deps.db('platforms').where({ id: platformId }).first('cdr_policy'))?.cdr_policy as CdrPolicy | undefined) ?? 'flag');
}

export async function setCdrPolicy(deps: HubDeps, platformId: string, policy: CdrPolicy, actor: string): Promise<void> {
  await deps.db('platforms').where({ id: platformId }).update({ cdr_policy: policy });
  await audit(deps.db, { actor, action: 'partner.cdr_policy', subject: platformId, details: { policy } });
  policies.clear();
}
