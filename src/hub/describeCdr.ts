// Everything the hub knows about one CDR: the CDR, where it went, its validation findings, and
// the hub's own price computation with the breakdown ("why was I charged this?").
import type { HubDeps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { findCdr } from '../store/cdrs.ts';
import { cdrContext } from './cdrContext.ts';
import { explainPrice, priceCdr, priceResultToJson, type CdrInput } from '../../ocpi/tariffs/index.ts';

export async function describeCdr(deps: HubDeps, countryCode: string, partyId: string, id: string) {
  const row = await findCdr(deps.db, countryCode, partyId, id);
  if (!row) throw new NotFoundError(`no CDR ${countryCode}-${partyId}-${id}`);
  const context = await cdrContext(deps.db, row.data, row.receiver);
  let price: { result: unknown; explanation: string } | { error: string } | null = null;
  if (context.tariffs) {
    try {
      const result = priceCdr({ cdr: row.data as unknown as CdrInput, tariffs: context.tariffs, timeZone: context.timeZone });
      price = { result: priceResultToJson(result), explanation: explainPrice(result) };
    } catch (err) {
      price = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return {
    cdr: row.data,
    receiver: row.receiver,
    routing: row.routing,
    accepted_at: (row as unknown as { created_at: Date }).created_at,
    validation: row.validation,
    hub_price: price,
  };
}
