// What the hub knows about a CDR beyond the CDR itself, for validation: the tariffs to recompute
// its price with, the Location's time zone, the connector's power, whether a credited CDR exists.
import type { Db } from '../store/db.ts';
import type { Tariff, ConnectorPower, ValidateCdrOptions } from '../../ocpi/tariffs/index.ts';
import { findObject } from '../store/objects.ts';
import { findCdr } from '../store/cdrs.ts';
import { TtlCache } from '../ttlCache.ts';
import { sameCi } from '../../ocpi/ciString.ts';

// Locations and tariffs change rarely next to the CDRs that refer to them.
const objects = new TtlCache<string, Json | undefined>(2000);
const cachedObject = (db: Db, module: string, owner: { countryCode: string; partyId: string }, objectId: string) =>
  objects.get(`${module}|${owner.countryCode}|${owner.partyId}|${objectId}`, async () => {
    const row = await findObject(db, { module, ...owner, objectId });
    return row && !row.deleted ? { ...row } : undefined;
  });

type Json = Record<string, any>;

/**
 * Tariffs: those the CDR carries; else the hub's stored tariffs for the connector's tariff_ids,
 * an eMSP-specific one (pushed to this eMSP only, not broadcast) first when one exists.
 */
export async function cdrContext(db: Db, cdr: Json, receiverKey: string | null): Promise<ValidateCdrOptions> {
  const owner = { countryCode: String(cdr.country_code), partyId: String(cdr.party_id) };
  const cdrLocation = (cdr.cdr_location ?? {}) as Json;
  const location = cdrLocation.id ? ((await cachedObject(db, 'locations', owner, String(cdrLocation.id)))?.data as Json | undefined) : undefined;
  // EVSE uid and Connector id are CiStrings: the CDR may spell them in another case than the Location.
  const evse = (location?.evses as Json[] | undefined)?.find((e) => sameCi(e.uid, cdrLocation.evse_uid));
  const connector = (evse?.connectors as Json[] | undefined)?.find((c) => sameCi(c.id, cdrLocation.connector_id));

  let tariffs: Tariff[] | null = Array.isArray(cdr.tariffs) && cdr.tariffs.length > 0 ? (cdr.tariffs as Tariff[]) : null;
  if (!tariffs && Array.isArray(connector?.tariff_ids)) {
    const stored = [];
    for (const id of connector.tariff_ids as string[]) {
      const row = await cachedObject(db, 'tariffs', owner, id);
      if (row) stored.push(row);
    }
    const specific = stored.filter((row) => !row.broadcast && receiverKey !== null && row.receivers.includes(receiverKey));
    const chosen = specific.length ? specific : stored;
    tariffs = chosen.length ? chosen.map((row) => row.data as unknown as Tariff) : null;
  }

  const power: ConnectorPower | null = connector
    ? { max_electric_power: connector.max_electric_power, max_voltage: connector.max_voltage, max_amperage: connector.max_amperage, power_type: connector.power_type }
    : null;
  const creditReferenceKnown = cdr.credit && cdr.credit_reference_id ? !!(await findCdr(db, owner.countryCode, owner.partyId, String(cdr.credit_reference_id))) : null;
  return {
    tariffs,
    timeZone: typeof location?.time_zone === 'string' ? location.time_zone : null,
    connector: power,
    creditReferenceKnown,
    recomputePrice: tariffs !== null,
  };
}
