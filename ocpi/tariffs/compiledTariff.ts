// A Tariff turned, once, into what pricing asks of it many times: for each dimension and each
// phase of a session, the ordered list of price components that could price it, with prices,
// VAT factors and restrictions already parsed. Cached per Tariff object (tariffs are treated as
// immutable: a CDR freezes them "as they were at the start of the charging session").
import { toPriceBound, type PriceBound } from './decimal.ts';
import { compare, exactOf, exactOrNull, normalise, ONE, plus, shift, text, type Exact } from './exact.ts';
import { PricingInputError } from './errors.ts';
import { parseOcpiDateTime } from './localTime.ts';
import { compileRestrictions, type CompiledRestrictions } from './restrictions.ts';
import type { Tariff, TariffDimensionType } from './types.ts';

export interface CompiledComponent {
  elementIndex: number;
  componentIndex: number;
  type: TariffDimensionType;
  price: Exact;
  /** VAT percentage, null when the component gives none ("no VAT applicable"). */
  vat: Exact | null;
  /** 1 + vat/100 (1 without VAT). */
  vatFactor: Exact;
  /** price and vat as the output prints them. */
  priceText: string;
  vatText: string | null;
  stepSize: number;
  restrictions: CompiledRestrictions;
}

/**
 * Which elements may price what:
 * - `charging`: elements without a `reservation` restriction, for everything after the reservation.
 * - `reservation`: elements restricted to RESERVATION, for reservation time (and its fee) of a
 *   reservation that led to a session.
 * - `reservation_expired`: for a reservation that expired, RESERVATION_EXPIRES elements first, then
 *   RESERVATION ones. tariff_17 (expired: the EXPIRES fee plus the RESERVATION element's TIME) and
 *   tariff_18 (expired: the EXPIRES element's TIME 6.00 wins over the RESERVATION element's 3.00)
 *   need exactly that order.
 */
export type Phase = 'charging' | 'reservation' | 'reservation_expired';

export type Candidates = Record<TariffDimensionType, CompiledComponent[]>;

export interface CompiledTariff {
  tariff: Tariff;
  candidates: Record<Phase, Candidates>;
  minPrice: PriceBound | null;
  maxPrice: PriceBound | null;
  /** Validity in epoch ms (UTC), null when open. */
  validFrom: number | null;
  validUntil: number | null;
  /** Some restriction reads the local clock or calendar. */
  readsLocalTime: boolean;
  /** Some restriction can change inside a period by the passing of time alone. */
  timeVarying: boolean;
  /** Some restriction reads the energy consumed (min_kwh, max_kwh). */
  readsEnergy: boolean;
  /** Some element prices TIME outside reservations. */
  pricesChargingTime: boolean;
  /** Per phase and dimension: whether any candidate's restrictions change with time alone. */
  timeVaryingCandidates: Record<Phase, Record<TariffDimensionType, boolean>>;
  /** Per phase and dimension: where the candidates' time-varying restrictions can change. */
  changePoints: Record<Phase, Record<TariffDimensionType, ChangePoints>>;
}

/** Where a list of candidates' restrictions can start or stop holding by the passing of time alone. */
export interface ChangePoints {
  /** Local minutes of the day (0 = midnight, where day of week and date change), ascending. */
  minutes: number[];
  /** min_duration and max_duration values, seconds. */
  durations: number[];
  /** min_kwh and max_kwh values: energy consumed inside a period can cross them. */
  kwh: Exact[];
}

const DIMENSIONS: readonly TariffDimensionType[] = ['ENERGY', 'FLAT', 'PARKING_TIME', 'TIME'];

/**
 * A tariff's compiled form is kept on the tariff itself (non-enumerable, so JSON, spreads and
 * equality ignore it) and lives exactly as long as it: a tariff priced again (a cached stored tariff,
 * one CDR checked then priced) is compiled once. Not a WeakMap: V8's young-generation collections
 * keep a WeakMap's young entries alive until the next full collection, so every CDR's own tariffs and
 * their compiled forms were promoted to the old generation (a third of all the web process promoted).
 */
const COMPILED = Symbol('compiledTariff');

export function compileTariff(tariff: Tariff, path = 'tariff'): CompiledTariff {
  const cached = (tariff as { [COMPILED]?: CompiledTariff })[COMPILED];
  if (cached) return cached;
  const compiled = compile(tariff, path);
  // A frozen tariff is compiled each time rather than refused.
  if (Object.isExtensible(tariff)) Object.defineProperty(tariff, COMPILED, { value: compiled });
  return compiled;
}

function emptyCandidates(): Candidates {
  return { ENERGY: [], FLAT: [], PARKING_TIME: [], TIME: [] };
}

function compile(tariff: Tariff, path: string): CompiledTariff {
  if (tariff === null || typeof tariff !== 'object') throw new PricingInputError(`${path}: expected a Tariff object`, path);
  if (typeof tariff.id !== 'string' || tariff.id === '') throw new PricingInputError(`${path}.id: required`, `${path}.id`);
  if (typeof tariff.currency !== 'string' || tariff.currency === '') throw new PricingInputError(`${path}.currency: required`, `${path}.currency`);
  if (!Array.isArray(tariff.elements) || tariff.elements.length === 0) {
    throw new PricingInputError(`${path}.elements: at least one TariffElement is required`, `${path}.elements`);
  }
  const charging = emptyCandidates();
  const reserved = emptyCandidates();
  const expires = emptyCandidates();
  let readsLocalTime = false;
  let timeVarying = false;
  let readsEnergy = false;
  tariff.elements.forEach((element, e) => {
    const elementPath = `${path}.elements[${e}]`;
    if (element === null || typeof element !== 'object' || !Array.isArray(element.price_components) || element.price_components.length === 0) {
      throw new PricingInputError(`${elementPath}.price_components: at least one PriceComponent is required`, `${elementPath}.price_components`);
    }
    const restrictions = compileRestrictions(element.restrictions, `${elementPath}.restrictions`);
    readsLocalTime ||= restrictions.readsLocalTime;
    timeVarying ||= restrictions.timeVarying;
    readsEnergy ||= restrictions.minKwh !== null || restrictions.maxKwh !== null;
    const target = restrictions.reservation === 'RESERVATION' ? reserved : restrictions.reservation === 'RESERVATION_EXPIRES' ? expires : charging;
    const seen = new Set<TariffDimensionType>();
    element.price_components.forEach((pc, c) => {
      const pcPath = `${elementPath}.price_components[${c}]`;
      if (pc === null || typeof pc !== 'object' || !DIMENSIONS.includes(pc.type)) {
        throw new PricingInputError(`${pcPath}.type: expected one of ${DIMENSIONS.join(', ')}, got ${JSON.stringify(pc?.type)}`, `${pcPath}.type`);
      }
      const stepSize = pc.step_size;
      // int in the spec: blocks of whole Wh or seconds (a fraction would also break the BigInt rounding).
      if (typeof stepSize !== 'number' || !Number.isInteger(stepSize)) {
        throw new PricingInputError(`${pcPath}.step_size: required, an integer, got ${JSON.stringify(pc.step_size)}`, `${pcPath}.step_size`);
      }
      const price = normalise(exactOf(pc.price, `${pcPath}.price`));
      const vat = exactOrNull(pc.vat, `${pcPath}.vat`);
      // Only one price component per dimension can be active at once: within one element, the first wins.
      if (seen.has(pc.type)) return;
      seen.add(pc.type);
      target[pc.type].push({
        elementIndex: e,
        componentIndex: c,
        type: pc.type,
        price,
        vat,
        vatFactor: vat === null ? ONE : normalise(plus(ONE, shift(vat, 2))),
        priceText: text(price),
        vatText: vat === null ? null : text(vat),
        stepSize,
        restrictions,
      });
    });
  });
  const expired = emptyCandidates();
  for (const dim of DIMENSIONS) expired[dim] = [...expires[dim], ...reserved[dim]];
  const varying = (c: Candidates): Record<TariffDimensionType, boolean> => ({
    ENERGY: c.ENERGY.some((x) => x.restrictions.timeVarying),
    FLAT: c.FLAT.some((x) => x.restrictions.timeVarying),
    PARKING_TIME: c.PARKING_TIME.some((x) => x.restrictions.timeVarying),
    TIME: c.TIME.some((x) => x.restrictions.timeVarying),
  });
  const changes = (c: Candidates): Record<TariffDimensionType, ChangePoints> => ({
    ENERGY: changePointsOf(c.ENERGY),
    FLAT: changePointsOf(c.FLAT),
    PARKING_TIME: changePointsOf(c.PARKING_TIME),
    TIME: changePointsOf(c.TIME),
  });
  return {
    tariff,
    candidates: { charging, reservation: reserved, reservation_expired: expired },
    minPrice: toPriceBound(tariff.min_price, `${path}.min_price`),
    maxPrice: toPriceBound(tariff.max_price, `${path}.max_price`),
    validFrom: tariff.start_date_time ? parseOcpiDateTime(tariff.start_date_time, `${path}.start_date_time`) : null,
    validUntil: tariff.end_date_time ? parseOcpiDateTime(tariff.end_date_time, `${path}.end_date_time`) : null,
    readsLocalTime,
    timeVarying,
    readsEnergy,
    pricesChargingTime: charging.TIME.length > 0,
    timeVaryingCandidates: { charging: varying(charging), reservation: varying(reserved), reservation_expired: varying(expired) },
    changePoints: { charging: changes(charging), reservation: changes(reserved), reservation_expired: changes(expired) },
  };
}

function changePointsOf(components: CompiledComponent[]): ChangePoints {
  const minutes = new Set<number>();
  const durations = new Set<number>();
  const kwh: Exact[] = [];
  for (const { restrictions: r } of components) {
    if (r.readsLocalTime) {
      minutes.add(0);
      if (r.startMinute !== null) minutes.add(r.startMinute % 1440);
      if (r.endMinute !== null) minutes.add(r.endMinute % 1440); // 00:00 is stored as 1440
    }
    if (r.minDuration !== null) durations.add(r.minDuration);
    if (r.maxDuration !== null) durations.add(r.maxDuration);
    if (r.minKwh !== null) kwh.push(r.minKwh);
    if (r.maxKwh !== null) kwh.push(r.maxKwh);
  }
  return { minutes: [...minutes].sort((a, b) => a - b), durations: [...durations], kwh: kwh.sort(compare) };
}
