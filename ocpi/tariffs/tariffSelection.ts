// Which one Tariff prices a CDR when several are given (ocpi/ocpi#519, #273: the spec lets a
// connector list several and a CDR carry several, and says little about which applies). The rule,
// first match wins:
// 1. `requested`: the caller named a tariff id.
// 2. `referenced_by_cdr`: the first charging period (in time order) whose tariff_id names a
//    candidate. Among candidates sharing that id, one valid at the session start in the CDR's
//    currency is preferred.
// 3. `only_candidate`: there is just one.
// 4. `valid_at_session_start`: the first candidate, in the order given, in the CDR's currency whose
//    start_date_time ≤ session start ≤ end_date_time (end inclusive: "the time after which this
//    tariff is no longer valid").
// 5. `first_candidate`: the first one given, with a warning.
// One tariff prices the whole session: periods referencing another id are priced with it too and
// a warning names them. Any other oddity of the choice (not valid at the session start, another
// currency) is priced anyway and reported as a warning, so a settlement team sees it.
import { ciKey } from '../ciString.ts';
import { compileTariff, type CompiledTariff } from './compiledTariff.ts';
import { PricingInputError } from './errors.ts';
import type { PricingWarning, Tariff, TariffChoiceReason } from './types.ts';

export interface TariffChoice {
  compiled: CompiledTariff;
  reason: TariffChoiceReason;
  warnings: PricingWarning[];
}

export interface SessionFacts {
  currency: string;
  startMs: number;
  /** tariff_id of each charging period, in time order. */
  periodTariffIds: (string | null | undefined)[];
}


export function isValidAt(t: CompiledTariff, ms: number): boolean {
  return (t.validFrom === null || t.validFrom <= ms) && (t.validUntil === null || ms <= t.validUntil);
}

export function chooseTariff(tariffs: Tariff[], session: SessionFacts, requestedId?: string | null): TariffChoice {
  if (tariffs.length === 0) throw new PricingInputError('no tariff to price with: give at least one Tariff (or a CDR with tariffs)', 'tariffs');
  const compiled: CompiledTariff[] = [];
  for (let i = 0; i < tariffs.length; i++) compiled.push(compileTariff(tariffs[i]!, tariffs.length === 1 ? 'tariff' : `tariffs[${i}]`));

  let chosen: CompiledTariff | undefined;
  let reason: TariffChoiceReason;
  if (requestedId) {
    chosen = pickById(compiled, requestedId, session);
    if (!chosen) throw new PricingInputError(`no tariff with id ${JSON.stringify(requestedId)} among the ${compiled.length} given`, 'tariff_id');
    reason = 'requested';
  } else {
    const referenced = firstReferenced(compiled, session.periodTariffIds);
    if (referenced !== null) {
      chosen = pickById(compiled, referenced, session)!;
      reason = 'referenced_by_cdr';
    } else if (compiled.length === 1) {
      chosen = compiled[0]!;
      reason = 'only_candidate';
    } else {
      chosen = compiled.find((t) => fits(t, session));
      reason = 'valid_at_session_start';
      if (!chosen) {
        chosen = compiled[0]!;
        reason = 'first_candidate';
      }
    }
  }

  const warnings: PricingWarning[] = [];
  const id = chosen.tariff.id;
  if (reason === 'first_candidate') {
    warnings.push({ code: 'tariff_not_valid_at_session_start', message: `none of the ${compiled.length} tariffs is valid at the session start in ${session.currency}; priced with the first, ${id}` });
  } else if (!isValidAt(chosen, session.startMs)) {
    warnings.push({
      code: 'tariff_not_valid_at_session_start',
      message: `tariff ${id} is valid ${chosen.tariff.start_date_time ?? '(open)'} – ${chosen.tariff.end_date_time ?? '(open)'}, which does not cover the session start`,
    });
  }
  if (chosen.tariff.currency !== session.currency) {
    warnings.push({ code: 'currency_mismatch', message: `tariff ${id} is in ${chosen.tariff.currency}, the CDR in ${session.currency}; amounts are in the tariff's prices` });
  }
  const others = otherReferences(session.periodTariffIds, id);
  if (others.length > 0) {
    warnings.push({ code: 'period_references_other_tariff', message: `charging periods reference ${others.join(', ')}; the whole session was priced with tariff ${id}` });
  }
  return { compiled: chosen, reason, warnings };
}

function fits(t: CompiledTariff, session: SessionFacts): boolean {
  return t.tariff.currency === session.currency && isValidAt(t, session.startMs);
}

/** Among candidates with this id, one valid at the session start in the CDR's currency, else the first. */
function pickById(compiled: CompiledTariff[], id: string, session: SessionFacts): CompiledTariff | undefined {
  let first: CompiledTariff | undefined;
  const key = ciKey(id); // Tariff.id is a CiString: a charging period may name tariff TAR1 as tar1
  for (const t of compiled) {
    if (ciKey(t.tariff.id) !== key) continue;
    if (fits(t, session)) return t;
    first ??= t;
  }
  return first;
}

function firstReferenced(compiled: CompiledTariff[], ids: (string | null | undefined)[]): string | null {
  for (const id of ids) {
    if (!id) continue;
    const key = ciKey(id);
    for (const t of compiled) if (ciKey(t.tariff.id) === key) return id;
  }
  return null;
}

function otherReferences(ids: (string | null | undefined)[], chosen: string): string[] {
  const out: string[] = [];
  const seen = new Set([ciKey(chosen)]);
  for (const id of ids) {
    if (!id || seen.has(ciKey(id))) continue;
    seen.add(ciKey(id));
    out.push(id);
  }
  return out;
}
