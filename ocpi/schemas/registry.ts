// Every OCPI object and class by its snake_case name, the way the CLI and the HTTP layer ask for them.
// Names follow the spec's object names (CDR → cdr, ClientInfo → client_info); `versions` and
// `charging_preferences_response` are response payloads that are a list and an enum value.
import type { z } from 'zod';
import {
  ActiveChargingProfileResultSchema,
  ActiveChargingProfileSchema,
  ChargingProfilePeriodSchema,
  ChargingProfileResponseSchema,
  ChargingProfileResultSchema,
  ChargingProfileSchema,
  ClearProfileResultSchema,
  SetChargingProfileSchema,
} from './chargingProfiles.ts';
import {
  CdrDimensionSchema,
  CdrLocationSchema,
  CdrSchema,
  CdrTokenSchema,
  ChargingPeriodSchema,
  SignedDataSchema,
  SignedValueSchema,
} from './cdrs.ts';
import {
  CancelReservationSchema,
  CommandResponseSchema,
  CommandResultSchema,
  ReserveNowSchema,
  StartSessionSchema,
  StopSessionSchema,
  UnlockConnectorSchema,
} from './commands.ts';
import { CredentialsRoleSchema, CredentialsSchema } from './credentials.ts';
import { ChargingPreferencesResponseSchema } from './enums.ts';
import { ClientInfoSchema } from './hubClientInfo.ts';
import {
  AdditionalGeoLocationSchema,
  ConnectorPatchSchema,
  ConnectorSchema,
  EnergyMixSchema,
  EnergySourceSchema,
  EnvironmentalImpactSchema,
  EvsePatchSchema,
  EvseSchema,
  ExceptionalPeriodSchema,
  GeoLocationSchema,
  HoursSchema,
  LocationPatchSchema,
  LocationSchema,
  PublishTokenTypeSchema,
  RegularHoursSchema,
  StatusScheduleSchema,
} from './locations.ts';
import { ChargingPreferencesSchema, SessionPatchSchema, SessionSchema } from './sessions.ts';
import { PriceComponentSchema, TariffElementSchema, TariffRestrictionsSchema, TariffSchema } from './tariffs.ts';
import { AuthorizationInfoSchema, EnergyContractSchema, LocationReferencesSchema, TokenPatchSchema, TokenSchema } from './tokens.ts';
import { BusinessDetailsSchema, DisplayTextSchema, ImageSchema, PriceSchema } from './types.ts';
import { EndpointSchema, VersionDetailsSchema, VersionSchema, VersionsSchema } from './versions.ts';

export const ocpiSchemas = {
  // versions
  version: VersionSchema,
  versions: VersionsSchema,
  version_details: VersionDetailsSchema,
  endpoint: EndpointSchema,
  // credentials
  credentials: CredentialsSchema,
  credentials_role: CredentialsRoleSchema,
  // locations
  location: LocationSchema,
  evse: EvseSchema,
  connector: ConnectorSchema,
  geo_location: GeoLocationSchema,
  additional_geo_location: AdditionalGeoLocationSchema,
  publish_token_type: PublishTokenTypeSchema,
  hours: HoursSchema,
  regular_hours: RegularHoursSchema,
  exceptional_period: ExceptionalPeriodSchema,
  status_schedule: StatusScheduleSchema,
  energy_mix: EnergyMixSchema,
  energy_source: EnergySourceSchema,
  environmental_impact: EnvironmentalImpactSchema,
  business_details: BusinessDetailsSchema,
  image: ImageSchema,
  // sessions
  session: SessionSchema,
  charging_preferences: ChargingPreferencesSchema,
  charging_preferences_response: ChargingPreferencesResponseSchema,
  // cdrs
  cdr: CdrSchema,
  cdr_token: CdrTokenSchema,
  cdr_location: CdrLocationSchema,
  charging_period: ChargingPeriodSchema,
  cdr_dimension: CdrDimensionSchema,
  signed_data: SignedDataSchema,
  signed_value: SignedValueSchema,
  // tariffs
  tariff: TariffSchema,
  tariff_element: TariffElementSchema,
  price_component: PriceComponentSchema,
  tariff_restrictions: TariffRestrictionsSchema,
  // tokens
  token: TokenSchema,
  authorization_info: AuthorizationInfoSchema,
  location_references: LocationReferencesSchema,
  energy_contract: EnergyContractSchema,
  // commands
  cancel_reservation: CancelReservationSchema,
  reserve_now: ReserveNowSchema,
  start_session: StartSessionSchema,
  stop_session: StopSessionSchema,
  unlock_connector: UnlockConnectorSchema,
  command_response: CommandResponseSchema,
  command_result: CommandResultSchema,
  // charging profiles
  set_charging_profile: SetChargingProfileSchema,
  charging_profile: ChargingProfileSchema,
  charging_profile_period: ChargingProfilePeriodSchema,
  active_charging_profile: ActiveChargingProfileSchema,
  charging_profile_response: ChargingProfileResponseSchema,
  active_charging_profile_result: ActiveChargingProfileResultSchema,
  charging_profile_result: ChargingProfileResultSchema,
  clear_profile_result: ClearProfileResultSchema,
  // hub client info
  client_info: ClientInfoSchema,
  // types
  display_text: DisplayTextSchema,
  price: PriceSchema,
} as const satisfies Record<string, z.ZodType>;

/** The objects a PATCH may carry (Locations, Sessions, Tokens). */
export const ocpiPatchSchemas = {
  location: LocationPatchSchema,
  evse: EvsePatchSchema,
  connector: ConnectorPatchSchema,
  session: SessionPatchSchema,
  token: TokenPatchSchema,
} as const satisfies Record<string, z.ZodType>;

export type OcpiTypeName = keyof typeof ocpiSchemas;
export type PatchableTypeName = keyof typeof ocpiPatchSchemas;
export type OcpiValue<T extends OcpiTypeName> = z.output<(typeof ocpiSchemas)[T]>;
export type OcpiPatch<T extends PatchableTypeName> = z.output<(typeof ocpiPatchSchemas)[T]>;

export const ocpiTypeNames = Object.keys(ocpiSchemas) as OcpiTypeName[];
export const patchableTypeNames = Object.keys(ocpiPatchSchemas) as PatchableTypeName[];

export function isOcpiTypeName(name: string): name is OcpiTypeName {
  return Object.hasOwn(ocpiSchemas, name);
}

export function isPatchableTypeName(name: string): name is PatchableTypeName {
  return Object.hasOwn(ocpiPatchSchemas, name);
}

/** The schema for a type name; `partial` asks for the PATCH body schema, which only patchable types have. */
export function schemaFor(type: OcpiTypeName, partial = false): z.ZodType {
  if (!isOcpiTypeName(type)) {
    throw new RangeError(`unknown OCPI type "${String(type)}"; valid types: ${ocpiTypeNames.join(', ')}`);
  }
  if (!partial) return ocpiSchemas[type];
  if (!isPatchableTypeName(type)) {
    throw new RangeError(`"${type}" cannot be PATCHed; partial validation exists for ${patchableTypeNames.join(', ')}`);
  }
  return ocpiPatchSchemas[type];
}
