// One zod schema per OCPI 2.2.1 object, class and enum: `XSchema` and `type X`.
export * from './enums.ts';
export { ciString, ocpiString, url, dateTime, isOcpiDateTime, DATE_TIME_MESSAGE } from './primitives.ts';
export * from './types.ts';
export * from './locations.ts';
export * from './sessions.ts';
export * from './cdrs.ts';
export * from './tariffs.ts';
export * from './tokens.ts';
export * from './commands.ts';
export * from './chargingProfiles.ts';
export * from './credentials.ts';
export * from './versions.ts';
export * from './hubClientInfo.ts';
export * from './registry.ts';
