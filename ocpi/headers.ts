// Header names used by OCPI 2.2.1 (lower case: Node lower-cases incoming header names).
export const Header = {
  Authorization: 'authorization',
  RequestId: 'x-request-id',
  CorrelationId: 'x-correlation-id',
  ToPartyId: 'ocpi-to-party-id',
  ToCountryCode: 'ocpi-to-country-code',
  FromPartyId: 'ocpi-from-party-id',
  FromCountryCode: 'ocpi-from-country-code',
  Link: 'link',
  TotalCount: 'x-total-count',
  Limit: 'x-limit',
  Location: 'location',
} as const;

/** The spelling used on outgoing requests (case-insensitive on the wire, but readable in captures). */
export const OutgoingHeader = {
  Authorization: 'Authorization',
  RequestId: 'X-Request-ID',
  CorrelationId: 'X-Correlation-ID',
  ToPartyId: 'OCPI-to-party-id',
  ToCountryCode: 'OCPI-to-country-code',
  FromPartyId: 'OCPI-from-party-id',
  FromCountryCode: 'OCPI-from-country-code',
} as const;

export const ModuleIds = [
  'cdrs',
  'chargingprofiles',
  'commands',
  'credentials',
  'hubclientinfo',
  'locations',
  'sessions',
  'tariffs',
  'tokens',
] as const;
export type ModuleId = (typeof ModuleIds)[number];

export const InterfaceRoles = ['SENDER', 'RECEIVER'] as const;
export type InterfaceRole = (typeof InterfaceRoles)[number];
