// The calculator's own minimal view of the OCPI 2.2.1 objects it reads (mod_tariffs.asciidoc,
// mod_cdrs.asciidoc), in the wire's snake_case. Deliberately independent of ocpi/schemas/: pricing
// needs only these fields, and every other field of a Tariff or CDR is simply carried along.

/** A decimal as it arrives: a JSON number (converted through its shortest text form) or a decimal string. */
export type DecimalInput = number | string;

export type TariffDimensionType = 'ENERGY' | 'FLAT' | 'PARKING_TIME' | 'TIME';

export type CdrDimensionType =
  | 'CURRENT'
  | 'ENERGY'
  | 'ENERGY_EXPORT'
  | 'ENERGY_IMPORT'
  | 'MAX_CURRENT'
  | 'MIN_CURRENT'
  | 'MAX_POWER'
  | 'MIN_POWER'
  | 'PARKING_TIME'
  | 'POWER'
  | 'RESERVATION_TIME'
  | 'STATE_OF_CHARGE'
  | 'TIME';

export type DayOfWeek = 'MONDAY' | 'TUESDAY' | 'WEDNESDAY' | 'THURSDAY' | 'FRIDAY' | 'SATURDAY' | 'SUNDAY';

export type ReservationRestrictionType = 'RESERVATION' | 'RESERVATION_EXPIRES';

export interface Price {
  excl_vat: DecimalInput;
  incl_vat?: DecimalInput | null;
}

export interface PriceComponent {
  type: TariffDimensionType;
  /** Price per unit, excl. VAT: per kWh (ENERGY), per hour (TIME, PARKING_TIME), or the amount (FLAT). */
  price: DecimalInput;
  /** VAT percentage; omitted means "no VAT applicable", which is different from 0. */
  vat?: DecimalInput | null;
  /** Billing block: Wh for ENERGY, seconds for TIME and PARKING_TIME, ignored for FLAT. */
  step_size: number;
}

export interface TariffRestrictions {
  start_time?: string | null;
  end_time?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  min_kwh?: DecimalInput | null;
  max_kwh?: DecimalInput | null;
  min_current?: DecimalInput | null;
  max_current?: DecimalInput | null;
  min_power?: DecimalInput | null;
  max_power?: DecimalInput | null;
  min_duration?: number | null;
  max_duration?: number | null;
  day_of_week?: DayOfWeek[] | null;
  reservation?: ReservationRestrictionType | null;
}

export interface TariffElement {
  price_components: PriceComponent[];
  restrictions?: TariffRestrictions | null;
}

export interface Tariff {
  country_code?: string;
  party_id?: string;
  id: string;
  currency: string;
  type?: string | null;
  min_price?: Price | null;
  max_price?: Price | null;
  elements: TariffElement[];
  start_date_time?: string | null;
  end_date_time?: string | null;
  last_updated?: string;
}

export interface CdrDimension {
  type: CdrDimensionType;
  volume: DecimalInput;
}

export interface ChargingPeriod {
  start_date_time: string;
  dimensions: CdrDimension[];
  tariff_id?: string | null;
}

/** The part of a CdrLocation the calculator and validator read; `time_zone` is our extension, not OCPI. */
export interface CdrLocationLike {
  time_zone?: string | null;
  connector_power_type?: string | null;
  coordinates?: { latitude: string; longitude: string } | null;
  [field: string]: unknown;
}

/**
 * A CDR, or only the part of one that pricing needs: `start_date_time`, `end_date_time`, `currency`
 * and `charging_periods`. `time_zone` (top level or in `cdr_location`) is an extension OCPI lacks:
 * the IANA zone of the Location, in which restrictions are read.
 */
export interface CdrInput {
  country_code?: string;
  party_id?: string;
  id?: string;
  start_date_time: string;
  end_date_time: string;
  currency: string;
  charging_periods: ChargingPeriod[];
  tariffs?: Tariff[] | null;
  time_zone?: string | null;
  cdr_location?: CdrLocationLike | null;
  total_cost?: Price | null;
  total_fixed_cost?: Price | null;
  total_energy?: DecimalInput | null;
  total_energy_cost?: Price | null;
  total_time?: DecimalInput | null;
  total_time_cost?: Price | null;
  total_parking_time?: DecimalInput | null;
  total_parking_cost?: Price | null;
  total_reservation_cost?: Price | null;
  credit?: boolean | null;
  credit_reference_id?: string | null;
}

export interface PriceCdrInput {
  /** One Tariff or several; when empty or omitted, the CDR's own `tariffs` are used. */
  tariffs?: Tariff | Tariff[] | null;
  cdr: CdrInput;
  /** IANA zone in which restrictions are read; wins over the CDR's `time_zone`. */
  timeZone?: string | null;
  /** Price with this tariff id (among the candidates), whatever the CDR references. */
  tariffId?: string | null;
  /**
   * Whether the reservation in this CDR expired without a charging session. When omitted it is
   * inferred: the CDR carries RESERVATION_TIME and nothing was charged or parked.
   */
  reservationExpired?: boolean | null;
}

// ---------------------------------------------------------------------------------------------
// Output. Every amount and volume is a decimal string (never a binary float); amounts are rounded
// half-up to 4 decimals, volumes are exact as measured or billed.

/** A Price with both parts always present, as decimal strings. */
export interface PriceOut {
  excl_vat: string;
  incl_vat: string;
}

export type CostCategory = 'fixed' | 'energy' | 'time' | 'parking' | 'reservation';

export type TimeZoneSource = 'input' | 'cdr' | 'utc_fallback';

export type TariffChoiceReason =
  | 'requested' // PriceCdrInput.tariffId
  | 'referenced_by_cdr' // a charging period's tariff_id
  | 'only_candidate'
  | 'valid_at_session_start' // first candidate whose start/end_date_time covers the session start
  | 'first_candidate'; // nothing better: the first given (a warning says so)

export interface PriceLine {
  /** The CDR dimension that was priced (`FLAT` for the once-per-session fee). */
  dimension: 'FLAT' | 'ENERGY' | 'TIME' | 'PARKING_TIME' | 'RESERVATION_TIME';
  /** Which cost field of the CDR the line adds to. */
  category: CostCategory;
  /** Index into `tariff.elements` and into that element's `price_components`; null: nothing matched, free. */
  element_index: number | null;
  component_index: number | null;
  /** `kWh` for ENERGY, `h` for time dimensions, `unit` for FLAT. */
  unit: 'kWh' | 'h' | 'unit';
  price: string | null;
  vat: string | null;
  step_size: number | null;
  /** As measured in the CDR (or derived from the period's length, see `volume_source`). */
  volume: string;
  /** After step_size: volume plus the rounding surplus carried by this, the dimension's last priced line. */
  billed_volume: string;
  step_surplus: string;
  volume_source: 'cdr' | 'period_duration' | 'flat';
  cost: PriceOut;
}

export interface PeriodBreakdown {
  index: number;
  start_date_time: string;
  end_date_time: string;
  /** The period's start read in the time zone restrictions are read in, e.g. `2024-03-04T09:30:00+01:00 MONDAY`. */
  local_start: string;
  tariff_id: string | null;
  lines: PriceLine[];
}

export interface PricingWarning {
  code:
    | 'utc_fallback_with_local_restrictions'
    | 'period_crosses_restriction_boundary'
    | 'restriction_not_evaluable'
    | 'tariff_not_valid_at_session_start'
    | 'currency_mismatch'
    | 'periods_reordered'
    | 'period_references_other_tariff'
    | 'time_derived_from_periods';
  message: string;
  period_index?: number;
}

export interface PriceLimits {
  /** As the tariff gives them; incl_vat null when the tariff gives none. */
  min_price: { excl_vat: string; incl_vat: string | null } | null;
  max_price: { excl_vat: string; incl_vat: string | null } | null;
  /** The sum of all lines before min_price/max_price. */
  total_before_limits: PriceOut;
  applied: { excl_vat: 'min_price' | 'max_price' | null; incl_vat: 'min_price' | 'max_price' | null };
}

export interface PriceResult {
  currency: string;
  tariff: {
    id: string;
    country_code: string | null;
    party_id: string | null;
    reason: TariffChoiceReason;
  };
  time_zone: string;
  time_zone_source: TimeZoneSource;
  reservation: 'none' | 'used' | 'expired';
  total_cost: PriceOut;
  total_fixed_cost: PriceOut;
  total_energy_cost: PriceOut;
  total_time_cost: PriceOut;
  total_parking_cost: PriceOut;
  total_reservation_cost: PriceOut;
  /** kWh, as measured (sum of ENERGY dimensions). */
  total_energy: string;
  /** Hours of charging plus parking, as measured (reservation time excluded). */
  total_time: string;
  total_parking_time: string;
  total_reservation_time: string;
  price_limits: PriceLimits | null;
  periods: PeriodBreakdown[];
  warnings: PricingWarning[];
}
