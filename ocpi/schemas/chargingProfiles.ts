// ChargingProfiles module (mod_charging_profiles.asciidoc).
import { z } from 'zod';
import { ChargingProfileResponseTypeSchema, ChargingProfileResultTypeSchema, ChargingRateUnitSchema } from './enums.ts';
import { dateTime, int, list, number, optional, url } from './primitives.ts';

// Rates and limits "Accept at most one digit fraction (e.g. 8.1)", as OCPP does.
const ONE_DECIMAL = /^-?\d+(\.\d)?$/;
function rate() {
  return number().refine((n) => ONE_DECIMAL.test(String(n)), { message: 'must have at most one decimal digit, e.g. 8.1' });
}

export const ChargingProfilePeriodSchema = z.object({
  start_period: int(),
  limit: rate(),
});
export type ChargingProfilePeriod = z.infer<typeof ChargingProfilePeriodSchema>;

export const ChargingProfileSchema = z.object({
  start_date_time: optional(dateTime()),
  duration: optional(int()),
  charging_rate_unit: ChargingRateUnitSchema,
  min_charging_rate: optional(rate()),
  charging_profile_period: list(ChargingProfilePeriodSchema),
});
export type ChargingProfile = z.infer<typeof ChargingProfileSchema>;

export const SetChargingProfileSchema = z.object({
  charging_profile: ChargingProfileSchema,
  response_url: url(),
});
export type SetChargingProfile = z.infer<typeof SetChargingProfileSchema>;

export const ActiveChargingProfileSchema = z.object({
  start_date_time: dateTime(),
  charging_profile: ChargingProfileSchema,
});
export type ActiveChargingProfile = z.infer<typeof ActiveChargingProfileSchema>;

export const ChargingProfileResponseSchema = z.object({
  result: ChargingProfileResponseTypeSchema,
  timeout: int(),
});
export type ChargingProfileResponse = z.infer<typeof ChargingProfileResponseSchema>;

export const ActiveChargingProfileResultSchema = z.object({
  result: ChargingProfileResultTypeSchema,
  profile: optional(ActiveChargingProfileSchema),
});
export type ActiveChargingProfileResult = z.infer<typeof ActiveChargingProfileResultSchema>;

export const ChargingProfileResultSchema = z.object({
  result: ChargingProfileResultTypeSchema,
});
export type ChargingProfileResult = z.infer<typeof ChargingProfileResultSchema>;

export const ClearProfileResultSchema = z.object({
  result: ChargingProfileResultTypeSchema,
});
export type ClearProfileResult = z.infer<typeof ClearProfileResultSchema>;
