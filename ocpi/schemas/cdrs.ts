// CDRs module (mod_cdrs.asciidoc), plus the classes Sessions share with it (CdrToken, ChargingPeriod).
import { z } from 'zod';
import {
  AuthMethodSchema,
  CdrDimensionTypeSchema,
  ConnectorFormatSchema,
  ConnectorTypeSchema,
  PowerTypeSchema,
  TokenTypeSchema,
} from './enums.ts';
import { GeoLocationSchema } from './locations.ts';
import { ciString, dateTime, int, list, nonEmptyList, number, ocpiString, optional } from './primitives.ts';
import { TariffSchema } from './tariffs.ts';
import { PriceSchema } from './types.ts';

export const CdrTokenSchema = z.object({
  country_code: ciString(2),
  party_id: ciString(3),
  uid: ciString(36),
  type: TokenTypeSchema,
  contract_id: ciString(36),
});
export type CdrToken = z.infer<typeof CdrTokenSchema>;

// address/state stay string(45)/string(20): the Location erratum did not change CdrLocation.
export const CdrLocationSchema = z.object({
  id: ciString(36),
  name: optional(ocpiString(255)),
  address: ocpiString(45),
  city: ocpiString(45),
  postal_code: optional(ocpiString(10)),
  state: optional(ocpiString(20)),
  country: ocpiString(3),
  coordinates: GeoLocationSchema,
  evse_uid: ciString(36),
  evse_id: ciString(48),
  connector_id: ciString(36),
  connector_standard: ConnectorTypeSchema,
  connector_format: ConnectorFormatSchema,
  connector_power_type: PowerTypeSchema,
});
export type CdrLocation = z.infer<typeof CdrLocationSchema>;

// Volumes are not range-checked: spec examples send ENERGY in Wh although the unit is kWh.
export const CdrDimensionSchema = z.object({
  type: CdrDimensionTypeSchema,
  volume: number(),
});
export type CdrDimension = z.infer<typeof CdrDimensionSchema>;

export const ChargingPeriodSchema = z.object({
  start_date_time: dateTime(),
  dimensions: nonEmptyList(CdrDimensionSchema),
  tariff_id: optional(ciString(36)),
});
export type ChargingPeriod = z.infer<typeof ChargingPeriodSchema>;

export const SignedValueSchema = z.object({
  nature: ciString(32),
  plain_data: ocpiString(5000), // erratum 4a91081: was string(512)
  signed_data: ocpiString(5000),
});
export type SignedValue = z.infer<typeof SignedValueSchema>;

export const SignedDataSchema = z.object({
  encoding_method: ciString(36),
  encoding_method_version: optional(int()),
  public_key: optional(ocpiString(512)),
  signed_values: nonEmptyList(SignedValueSchema),
  url: optional(ocpiString(512)),
});
export type SignedData = z.infer<typeof SignedDataSchema>;

const NORMAL_CDR_ID_MAX = 36;

export const CdrSchema = z
  .object({
    country_code: ciString(2),
    party_id: ciString(3),
    id: ciString(39),
    start_date_time: dateTime(),
    end_date_time: dateTime(),
    session_id: optional(ciString(36)),
    cdr_token: CdrTokenSchema,
    auth_method: AuthMethodSchema,
    authorization_reference: optional(ciString(36)),
    cdr_location: CdrLocationSchema,
    meter_id: optional(ocpiString(255)),
    currency: ocpiString(3),
    tariffs: list(TariffSchema),
    charging_periods: nonEmptyList(ChargingPeriodSchema),
    signed_data: optional(SignedDataSchema),
    total_cost: PriceSchema,
    total_fixed_cost: optional(PriceSchema),
    total_energy: number(),
    total_energy_cost: optional(PriceSchema),
    total_time: number(),
    total_time_cost: optional(PriceSchema),
    total_parking_time: optional(number()),
    total_parking_cost: optional(PriceSchema),
    total_reservation_cost: optional(PriceSchema),
    remark: optional(ocpiString(255)),
    invoice_reference_id: optional(ciString(39)),
    credit: optional(z.boolean()),
    credit_reference_id: optional(ciString(39)),
    home_charging_compensation: optional(z.boolean()),
    last_updated: dateTime(),
  })
  .superRefine((cdr, ctx) => {
    // id is CiString(39) only so that a Credit CDR can append a suffix to the original id.
    if (cdr.credit !== true && cdr.id.length > NORMAL_CDR_ID_MAX) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: 'must be at most 36 characters unless credit is true' });
    }
    if (cdr.credit === true && cdr.credit_reference_id == null) {
      ctx.addIssue({ code: 'custom', path: ['credit_reference_id'], message: 'required when credit is true' });
    }
  });
export type Cdr = z.infer<typeof CdrSchema>;
