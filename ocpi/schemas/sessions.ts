// Sessions module (mod_sessions.asciidoc).
import { z } from 'zod';
import { CdrTokenSchema, ChargingPeriodSchema } from './cdrs.ts';
import { AuthMethodSchema, ProfileTypeSchema, SessionStatusSchema } from './enums.ts';
import { patchOf } from './patch.ts';
import { ciString, dateTime, list, number, ocpiString, optional } from './primitives.ts';
import { PriceSchema } from './types.ts';

// evse_uid/connector_id may be "#NA" for a reservation without an EVSE yet; that is a valid CiString.
const sessionShape = {
  country_code: ciString(2),
  party_id: ciString(3),
  id: ciString(36),
  start_date_time: dateTime(),
  end_date_time: optional(dateTime()),
  kwh: number(),
  cdr_token: CdrTokenSchema,
  auth_method: AuthMethodSchema,
  authorization_reference: optional(ciString(36)),
  location_id: ciString(36),
  evse_uid: ciString(36),
  connector_id: ciString(36),
  meter_id: optional(ocpiString(255)),
  currency: ocpiString(3),
  charging_periods: list(ChargingPeriodSchema),
  total_cost: optional(PriceSchema),
  status: SessionStatusSchema,
  last_updated: dateTime(),
};
export const SessionSchema = z.object(sessionShape);
export type Session = z.infer<typeof SessionSchema>;
export const SessionPatchSchema = patchOf(sessionShape);
export type SessionPatch = z.infer<typeof SessionPatchSchema>;

export const ChargingPreferencesSchema = z.object({
  profile_type: ProfileTypeSchema,
  departure_time: optional(dateTime()),
  energy_need: optional(number()),
  discharge_allowed: optional(z.boolean()),
});
export type ChargingPreferences = z.infer<typeof ChargingPreferencesSchema>;
