// Locations module (mod_locations.asciidoc): Location → EVSE (1:n) → Connector (1:n) and their classes.
import { z } from 'zod';
import {
  CapabilitySchema,
  ConnectorFormatSchema,
  ConnectorTypeSchema,
  EnergySourceCategorySchema,
  EnvironmentalImpactCategorySchema,
  FacilitySchema,
  ParkingRestrictionSchema,
  ParkingTypeSchema,
  PowerTypeSchema,
  StatusSchema,
  TokenTypeSchema,
} from './enums.ts';
import {
  ciString,
  dateTime,
  int,
  list,
  nonEmptyList,
  number,
  ocpiString,
  optional,
  patterned,
  timeOfDay,
  url,
} from './primitives.ts';
import { BusinessDetailsSchema, DisplayTextSchema, ImageSchema } from './types.ts';
import { patchOf } from './patch.ts';

const latitude = () => patterned(10, /^-?[0-9]{1,2}\.[0-9]{5,7}$/, '50.770774');
const longitude = () => patterned(11, /^-?[0-9]{1,3}\.[0-9]{5,7}$/, '-126.104965');

export const GeoLocationSchema = z.object({
  latitude: latitude(),
  longitude: longitude(),
});
export type GeoLocation = z.infer<typeof GeoLocationSchema>;

export const AdditionalGeoLocationSchema = z.object({
  latitude: latitude(),
  longitude: longitude(),
  name: optional(DisplayTextSchema),
});
export type AdditionalGeoLocation = z.infer<typeof AdditionalGeoLocationSchema>;

// The three SHALL rules of PublishTokenType: a token must be identifiable from what is set.
export const PublishTokenTypeSchema = z
  .object({
    uid: optional(ciString(36)),
    type: optional(TokenTypeSchema),
    visual_number: optional(ocpiString(64)),
    issuer: optional(ocpiString(64)),
    group_id: optional(ciString(36)),
  })
  .superRefine((token, ctx) => {
    if (token.uid == null && token.visual_number == null && token.group_id == null) {
      ctx.addIssue({ code: 'custom', message: 'at least one of uid, visual_number or group_id must be set' });
    }
    if (token.uid != null && token.type == null) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'required when uid is set' });
    }
    if (token.visual_number != null && token.issuer == null) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'required when visual_number is set' });
    }
  });
export type PublishTokenType = z.infer<typeof PublishTokenTypeSchema>;

export const RegularHoursSchema = z
  .object({
    weekday: int().min(1).max(7),
    period_begin: timeOfDay(),
    period_end: timeOfDay(),
  })
  // "Must be later than period_begin"; HH:MM strings compare correctly as text.
  .refine((hours) => hours.period_end > hours.period_begin, {
    path: ['period_end'],
    message: 'must be later than period_begin',
  });
export type RegularHours = z.infer<typeof RegularHoursSchema>;

export const ExceptionalPeriodSchema = z.object({
  period_begin: dateTime(),
  period_end: dateTime(),
});
export type ExceptionalPeriod = z.infer<typeof ExceptionalPeriodSchema>;

export const HoursSchema = z
  .object({
    twentyfourseven: z.boolean(),
    regular_hours: list(RegularHoursSchema),
    exceptional_openings: list(ExceptionalPeriodSchema),
    exceptional_closings: list(ExceptionalPeriodSchema),
  })
  .superRefine((hours, ctx) => {
    const regular = hours.regular_hours ?? [];
    if (!hours.twentyfourseven && regular.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['regular_hours'], message: 'must not be empty when twentyfourseven is false' });
    }
    if (hours.twentyfourseven && regular.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['regular_hours'], message: 'may only be used when twentyfourseven is false' });
    }
  });
export type Hours = z.infer<typeof HoursSchema>;

export const StatusScheduleSchema = z.object({
  period_begin: dateTime(),
  period_end: optional(dateTime()),
  status: StatusSchema,
});
export type StatusSchedule = z.infer<typeof StatusScheduleSchema>;

export const EnergySourceSchema = z.object({
  source: EnergySourceCategorySchema,
  percentage: number().min(0).max(100),
});
export type EnergySource = z.infer<typeof EnergySourceSchema>;

export const EnvironmentalImpactSchema = z.object({
  category: EnvironmentalImpactCategorySchema,
  amount: number(),
});
export type EnvironmentalImpact = z.infer<typeof EnvironmentalImpactSchema>;

export const EnergyMixSchema = z.object({
  is_green_energy: z.boolean(),
  energy_sources: list(EnergySourceSchema),
  environ_impact: list(EnvironmentalImpactSchema),
  supplier_name: optional(ocpiString(64)),
  energy_product_name: optional(ocpiString(64)),
});
export type EnergyMix = z.infer<typeof EnergyMixSchema>;

const connectorShape = {
  id: ciString(36),
  standard: ConnectorTypeSchema,
  format: ConnectorFormatSchema,
  power_type: PowerTypeSchema,
  max_voltage: int(),
  max_amperage: int(),
  max_electric_power: optional(int()),
  tariff_ids: list(ciString(36)),
  terms_and_conditions: optional(url()),
  last_updated: dateTime(),
};
export const ConnectorSchema = z.object(connectorShape);
export type Connector = z.infer<typeof ConnectorSchema>;
export const ConnectorPatchSchema = patchOf(connectorShape);
export type ConnectorPatch = z.infer<typeof ConnectorPatchSchema>;

const evseShape = {
  uid: ciString(36),
  evse_id: optional(ciString(48)),
  status: StatusSchema,
  status_schedule: list(StatusScheduleSchema),
  capabilities: list(CapabilitySchema),
  connectors: nonEmptyList(ConnectorSchema),
  floor_level: optional(ocpiString(4)),
  coordinates: optional(GeoLocationSchema),
  physical_reference: optional(ocpiString(16)),
  directions: list(DisplayTextSchema),
  parking_restrictions: list(ParkingRestrictionSchema),
  images: list(ImageSchema),
  last_updated: dateTime(),
};
export const EvseSchema = z.object(evseShape);
export type Evse = z.infer<typeof EvseSchema>;
export const EvsePatchSchema = patchOf(evseShape);
export type EvsePatch = z.infer<typeof EvsePatchSchema>;

const locationShape = {
  country_code: ciString(2),
  party_id: ciString(3),
  id: ciString(36),
  publish: z.boolean(),
  publish_allowed_to: list(PublishTokenTypeSchema),
  name: optional(ocpiString(255)),
  address: ocpiString(255), // erratum 96baa5d: was string(45)
  city: ocpiString(45),
  postal_code: optional(ocpiString(10)),
  state: optional(ocpiString(45)), // erratum 70ad09f: was string(20)
  country: ocpiString(3),
  coordinates: GeoLocationSchema,
  related_locations: list(AdditionalGeoLocationSchema),
  parking_type: optional(ParkingTypeSchema),
  evses: list(EvseSchema),
  directions: list(DisplayTextSchema),
  operator: optional(BusinessDetailsSchema),
  suboperator: optional(BusinessDetailsSchema),
  owner: optional(BusinessDetailsSchema),
  facilities: list(FacilitySchema),
  time_zone: ocpiString(255),
  opening_times: optional(HoursSchema),
  charging_when_closed: optional(z.boolean()),
  images: list(ImageSchema),
  energy_mix: optional(EnergyMixSchema),
  last_updated: dateTime(),
};
export const LocationSchema = z.object(locationShape).superRefine((location, ctx) => {
  if (location.publish && (location.publish_allowed_to ?? []).length > 0) {
    ctx.addIssue({ code: 'custom', path: ['publish_allowed_to'], message: 'may only be used when publish is false' });
  }
});
export type Location = z.infer<typeof LocationSchema>;
export const LocationPatchSchema = patchOf(locationShape);
export type LocationPatch = z.infer<typeof LocationPatchSchema>;
