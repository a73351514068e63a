// Reading pricing input from JSON files (the CLI, the admin API): the shape only. Fields are
// checked where pricing reads them, so every message names the field, e.g.
// "tariffs[1].elements[0].price_components[0].price: expected a decimal number, got undefined".
import { PricingInputError } from './errors.ts';
import type { CdrInput, Tariff } from './types.ts';

/** An OCPI response envelope ({ data, status_code, timestamp }) is unwrapped, so a GET's body can be priced as saved. */
function unwrapEnvelope(json: unknown): unknown {
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'data' in json && 'status_code' in json) {
    return (json as { data: unknown }).data;
  }
  return json;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One Tariff or a list of them. */
export function readTariffs(json: unknown): Tariff[] {
  const value = unwrapEnvelope(json);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new PricingInputError('tariffs: the list is empty, at least one Tariff is required', 'tariffs');
    value.forEach((t, i) => {
      if (!isObject(t)) throw new PricingInputError(`tariffs[${i}]: expected a Tariff object`, `tariffs[${i}]`);
    });
    return value as Tariff[];
  }
  if (!isObject(value)) throw new PricingInputError('tariff: expected a Tariff object or a list of Tariffs', 'tariff');
  return [value as unknown as Tariff];
}

/** A CDR, or the part of one pricing needs. */
export function readCdr(json: unknown): CdrInput {
  const value = unwrapEnvelope(json);
  if (!isObject(value)) throw new PricingInputError('cdr: expected a CDR object', 'cdr');
  for (const field of ['start_date_time', 'end_date_time', 'currency', 'charging_periods'] as const) {
    if (value[field] === undefined || value[field] === null) throw new PricingInputError(`cdr.${field}: required`, `cdr.${field}`);
  }
  return value as unknown as CdrInput;
}
