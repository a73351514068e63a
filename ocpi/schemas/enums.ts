// Every OCPI 2.2.1 enum, grouped by the module that defines it. They live in one file because
// modules share them across their import graph (locations use TokenType, tokens use ProfileType,
// CDRs use connector enums), and one file keeps that graph free of cycles.
// Enums are strict: an unknown value is a validation error that lists the allowed ones.
import { z } from 'zod';
import { InterfaceRoles, ModuleIds } from '../headers.ts';
import { MUST_NOT_BE_NULL, REQUIRED_FIELD_MISSING } from './issues.ts';

// zod reports a missing enum field as a wrong value; say what actually happened.
function ocpiEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? REQUIRED_FIELD_MISSING : issue.input === null ? MUST_NOT_BE_NULL : undefined),
  });
}

// types.asciidoc
export const RoleSchema = ocpiEnum(['CPO', 'EMSP', 'HUB', 'NAP', 'NSP', 'OTHER', 'SCSP']);
export type Role = z.infer<typeof RoleSchema>;

// version_information_endpoint.asciidoc
export const VersionNumberSchema = ocpiEnum(['2.0', '2.1', '2.1.1', '2.2', '2.2.1']);
export type VersionNumber = z.infer<typeof VersionNumberSchema>;
/** The spec allows custom module ids "agreed" bilaterally; this hub knows only the standard ones. */
export const ModuleIdSchema = ocpiEnum(ModuleIds);
export type ModuleId = z.infer<typeof ModuleIdSchema>;
export const InterfaceRoleSchema = ocpiEnum(InterfaceRoles);
export type InterfaceRole = z.infer<typeof InterfaceRoleSchema>;

// mod_locations.asciidoc
export const StatusSchema = ocpiEnum([
  'AVAILABLE', 'BLOCKED', 'CHARGING', 'INOPERATIVE', 'OUTOFORDER', 'PLANNED', 'REMOVED', 'RESERVED', 'UNKNOWN',
]);
export type Status = z.infer<typeof StatusSchema>;
export const CapabilitySchema = ocpiEnum([
  'CHARGING_PROFILE_CAPABLE', 'CHARGING_PREFERENCES_CAPABLE', 'CHIP_CARD_SUPPORT', 'CONTACTLESS_CARD_SUPPORT',
  'CREDIT_CARD_PAYABLE', 'DEBIT_CARD_PAYABLE', 'PED_TERMINAL', 'REMOTE_START_STOP_CAPABLE', 'RESERVABLE',
  'RFID_READER', 'START_SESSION_CONNECTOR_REQUIRED', 'TOKEN_GROUP_CAPABLE', 'UNLOCK_CAPABLE',
]);
export type Capability = z.infer<typeof CapabilitySchema>;
export const ConnectorTypeSchema = ocpiEnum([
  'CHADEMO', 'CHAOJI',
  'DOMESTIC_A', 'DOMESTIC_B', 'DOMESTIC_C', 'DOMESTIC_D', 'DOMESTIC_E', 'DOMESTIC_F', 'DOMESTIC_G', 'DOMESTIC_H',
  'DOMESTIC_I', 'DOMESTIC_J', 'DOMESTIC_K', 'DOMESTIC_L', 'DOMESTIC_M', 'DOMESTIC_N', 'DOMESTIC_O',
  'GBT_AC', 'GBT_DC',
  'IEC_60309_2_single_16', 'IEC_60309_2_three_16', 'IEC_60309_2_three_32', 'IEC_60309_2_three_64',
  'IEC_62196_T1', 'IEC_62196_T1_COMBO', 'IEC_62196_T2', 'IEC_62196_T2_COMBO', 'IEC_62196_T3A', 'IEC_62196_T3C',
  'NEMA_5_20', 'NEMA_6_30', 'NEMA_6_50', 'NEMA_10_30', 'NEMA_10_50', 'NEMA_14_30', 'NEMA_14_50',
  'PANTOGRAPH_BOTTOM_UP', 'PANTOGRAPH_TOP_DOWN', 'TESLA_R', 'TESLA_S',
]);
export type ConnectorType = z.infer<typeof ConnectorTypeSchema>;
export const ConnectorFormatSchema = ocpiEnum(['SOCKET', 'CABLE']);
export type ConnectorFormat = z.infer<typeof ConnectorFormatSchema>;
export const PowerTypeSchema = ocpiEnum(['AC_1_PHASE', 'AC_2_PHASE', 'AC_2_PHASE_SPLIT', 'AC_3_PHASE', 'DC']);
export type PowerType = z.infer<typeof PowerTypeSchema>;
export const ParkingTypeSchema = ocpiEnum([
  'ALONG_MOTORWAY', 'PARKING_GARAGE', 'PARKING_LOT', 'ON_DRIVEWAY', 'ON_STREET', 'UNDERGROUND_GARAGE',
]);
export type ParkingType = z.infer<typeof ParkingTypeSchema>;
export const ParkingRestrictionSchema = ocpiEnum(['EV_ONLY', 'PLUGGED', 'DISABLED', 'CUSTOMERS', 'MOTORCYCLES']);
export type ParkingRestriction = z.infer<typeof ParkingRestrictionSchema>;
export const FacilitySchema = ocpiEnum([
  'HOTEL', 'RESTAURANT', 'CAFE', 'MALL', 'SUPERMARKET', 'SPORT', 'RECREATION_AREA', 'NATURE', 'MUSEUM',
  'BIKE_SHARING', 'BUS_STOP', 'TAXI_STAND', 'TRAM_STOP', 'METRO_STATION', 'TRAIN_STATION', 'AIRPORT',
  'PARKING_LOT', 'CARPOOL_PARKING', 'FUEL_STATION', 'WIFI',
]);
export type Facility = z.infer<typeof FacilitySchema>;
export const ImageCategorySchema = ocpiEnum(['CHARGER', 'ENTRANCE', 'LOCATION', 'NETWORK', 'OPERATOR', 'OTHER', 'OWNER']);
export type ImageCategory = z.infer<typeof ImageCategorySchema>;
export const EnergySourceCategorySchema = ocpiEnum([
  'NUCLEAR', 'GENERAL_FOSSIL', 'COAL', 'GAS', 'GENERAL_GREEN', 'SOLAR', 'WIND', 'WATER',
]);
export type EnergySourceCategory = z.infer<typeof EnergySourceCategorySchema>;
export const EnvironmentalImpactCategorySchema = ocpiEnum(['NUCLEAR_WASTE', 'CARBON_DIOXIDE']);
export type EnvironmentalImpactCategory = z.infer<typeof EnvironmentalImpactCategorySchema>;

// mod_sessions.asciidoc
export const SessionStatusSchema = ocpiEnum(['ACTIVE', 'COMPLETED', 'INVALID', 'PENDING', 'RESERVATION']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;
export const ProfileTypeSchema = ocpiEnum(['CHEAP', 'FAST', 'GREEN', 'REGULAR']);
export type ProfileType = z.infer<typeof ProfileTypeSchema>;
export const ChargingPreferencesResponseSchema = ocpiEnum([
  'ACCEPTED', 'DEPARTURE_REQUIRED', 'ENERGY_NEED_REQUIRED', 'NOT_POSSIBLE', 'PROFILE_TYPE_NOT_SUPPORTED',
]);
export type ChargingPreferencesResponse = z.infer<typeof ChargingPreferencesResponseSchema>;

// mod_cdrs.asciidoc
export const AuthMethodSchema = ocpiEnum(['AUTH_REQUEST', 'COMMAND', 'WHITELIST']);
export type AuthMethod = z.infer<typeof AuthMethodSchema>;
export const CdrDimensionTypeSchema = ocpiEnum([
  'CURRENT', 'ENERGY', 'ENERGY_EXPORT', 'ENERGY_IMPORT', 'MAX_CURRENT', 'MIN_CURRENT', 'MAX_POWER', 'MIN_POWER',
  'PARKING_TIME', 'POWER', 'RESERVATION_TIME', 'STATE_OF_CHARGE', 'TIME',
]);
export type CdrDimensionType = z.infer<typeof CdrDimensionTypeSchema>;

// mod_tariffs.asciidoc
export const TariffDimensionTypeSchema = ocpiEnum(['ENERGY', 'FLAT', 'PARKING_TIME', 'TIME']);
export type TariffDimensionType = z.infer<typeof TariffDimensionTypeSchema>;
export const TariffTypeSchema = ocpiEnum(['AD_HOC_PAYMENT', 'PROFILE_CHEAP', 'PROFILE_FAST', 'PROFILE_GREEN', 'REGULAR']);
export type TariffType = z.infer<typeof TariffTypeSchema>;
export const DayOfWeekSchema = ocpiEnum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']);
export type DayOfWeek = z.infer<typeof DayOfWeekSchema>;
export const ReservationRestrictionTypeSchema = ocpiEnum(['RESERVATION', 'RESERVATION_EXPIRES']);
export type ReservationRestrictionType = z.infer<typeof ReservationRestrictionTypeSchema>;

// mod_tokens.asciidoc
export const AllowedTypeSchema = ocpiEnum(['ALLOWED', 'BLOCKED', 'EXPIRED', 'NO_CREDIT', 'NOT_ALLOWED']);
export type AllowedType = z.infer<typeof AllowedTypeSchema>;
export const TokenTypeSchema = ocpiEnum(['AD_HOC_USER', 'APP_USER', 'OTHER', 'RFID']);
export type TokenType = z.infer<typeof TokenTypeSchema>;
export const WhitelistTypeSchema = ocpiEnum(['ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER']);
export type WhitelistType = z.infer<typeof WhitelistTypeSchema>;

// mod_commands.asciidoc
export const CommandTypeSchema = ocpiEnum([
  'CANCEL_RESERVATION', 'RESERVE_NOW', 'START_SESSION', 'STOP_SESSION', 'UNLOCK_CONNECTOR',
]);
export type CommandType = z.infer<typeof CommandTypeSchema>;
export const CommandResponseTypeSchema = ocpiEnum(['NOT_SUPPORTED', 'REJECTED', 'ACCEPTED', 'UNKNOWN_SESSION']);
export type CommandResponseType = z.infer<typeof CommandResponseTypeSchema>;
export const CommandResultTypeSchema = ocpiEnum([
  'ACCEPTED', 'CANCELED_RESERVATION', 'EVSE_OCCUPIED', 'EVSE_INOPERATIVE', 'FAILED', 'NOT_SUPPORTED', 'REJECTED',
  'TIMEOUT', 'UNKNOWN_RESERVATION',
]);
export type CommandResultType = z.infer<typeof CommandResultTypeSchema>;

// mod_charging_profiles.asciidoc
export const ChargingRateUnitSchema = ocpiEnum(['W', 'A']);
export type ChargingRateUnit = z.infer<typeof ChargingRateUnitSchema>;
export const ChargingProfileResponseTypeSchema = ocpiEnum([
  'ACCEPTED', 'NOT_SUPPORTED', 'REJECTED', 'TOO_OFTEN', 'UNKNOWN_SESSION',
]);
export type ChargingProfileResponseType = z.infer<typeof ChargingProfileResponseTypeSchema>;
export const ChargingProfileResultTypeSchema = ocpiEnum(['ACCEPTED', 'REJECTED', 'UNKNOWN']);
export type ChargingProfileResultType = z.infer<typeof ChargingProfileResultTypeSchema>;

// mod_hub_client_info.asciidoc
export const ConnectionStatusSchema = ocpiEnum(['CONNECTED', 'OFFLINE', 'PLANNED', 'SUSPENDED']);
export type ConnectionStatus = z.infer<typeof ConnectionStatusSchema>;
