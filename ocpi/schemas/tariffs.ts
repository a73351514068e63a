// Tariffs module (mod_tariffs.asciidoc). Pricing semantics live elsewhere (ocpi/tariffs/).
import { z } from 'zod';
import { DayOfWeekSchema, ReservationRestrictionTypeSchema, TariffDimensionTypeSchema, TariffTypeSchema } from './enums.ts';
import { EnergyMixSchema } from './locations.ts';
import {
  ciString,
  dateTime,
  int,
  list,
  localDate,
  nonEmptyList,
  number,
  ocpiString,
  optional,
  timeOfDay,
  url,
} from './primitives.ts';
import { DisplayTextSchema, PriceSchema } from './types.ts';

export const PriceComponentSchema = z.object({
  type: TariffDimensionTypeSchema,
  price: number(),
  vat: optional(number()),
  step_size: int(),
});
export type PriceComponent = z.infer<typeof PriceComponentSchema>;

export const TariffRestrictionsSchema = z.object({
  start_time: optional(timeOfDay()),
  end_time: optional(timeOfDay()),
  start_date: optional(localDate()),
  end_date: optional(localDate()),
  min_kwh: optional(number()),
  max_kwh: optional(number()),
  min_current: optional(number()),
  max_current: optional(number()),
  min_power: optional(number()),
  max_power: optional(number()),
  min_duration: optional(int()),
  max_duration: optional(int()),
  day_of_week: list(DayOfWeekSchema),
  reservation: optional(ReservationRestrictionTypeSchema),
});
export type TariffRestrictions = z.infer<typeof TariffRestrictionsSchema>;

export const TariffElementSchema = z.object({
  price_components: nonEmptyList(PriceComponentSchema),
  restrictions: optional(TariffRestrictionsSchema),
});
export type TariffElement = z.infer<typeof TariffElementSchema>;

export const TariffSchema = z.object({
  country_code: ciString(2),
  party_id: ciString(3),
  id: ciString(36),
  currency: ocpiString(3),
  type: optional(TariffTypeSchema),
  tariff_alt_text: list(DisplayTextSchema),
  tariff_alt_url: optional(url()),
  min_price: optional(PriceSchema),
  max_price: optional(PriceSchema),
  elements: nonEmptyList(TariffElementSchema),
  start_date_time: optional(dateTime()),
  end_date_time: optional(dateTime()),
  energy_mix: optional(EnergyMixSchema),
  last_updated: dateTime(),
});
export type Tariff = z.infer<typeof TariffSchema>;
