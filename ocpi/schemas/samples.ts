// A minimal valid value of every OCPI type: only the required fields, each filled plainly.
// Tests start from these and change one thing; typing them against the schemas keeps them honest.
import type { CdrToken, ChargingPeriod } from './cdrs.ts';
import type { ChargingProfile } from './chargingProfiles.ts';
import type { Connector } from './locations.ts';
import type { OcpiTypeName, OcpiValue } from './registry.ts';
import type { Tariff } from './tariffs.ts';
import type { Token } from './tokens.ts';

const at = '2019-06-24T12:39:09Z';
const coordinates = { latitude: '51.047599', longitude: '3.729944' };
const token: Token = {
  country_code: 'DE',
  party_id: 'TNM',
  uid: '012345678',
  type: 'RFID',
  contract_id: 'DE8ACC12E46L89',
  issuer: 'TheNewMotion',
  valid: true,
  whitelist: 'ALLOWED',
  last_updated: at,
};
const connector: Connector = {
  id: '1',
  standard: 'IEC_62196_T2',
  format: 'SOCKET',
  power_type: 'AC_3_PHASE',
  max_voltage: 230,
  max_amperage: 16,
  last_updated: at,
};
const cdrToken: CdrToken = { country_code: 'DE', party_id: 'TNM', uid: '012345678', type: 'RFID', contract_id: 'DE8ACC12E46L89' };
const chargingPeriod: ChargingPeriod = { start_date_time: at, dimensions: [{ type: 'ENERGY', volume: 15 }] };
const tariff: Tariff = {
  country_code: 'BE',
  party_id: 'BEC',
  id: '12',
  currency: 'EUR',
  elements: [{ price_components: [{ type: 'TIME', price: 2, step_size: 300 }] }],
  last_updated: at,
};
const chargingProfile: ChargingProfile = { charging_rate_unit: 'A' };
const businessDetails = { name: 'Example Operator' };
const responseUrl = 'https://emsp.example.com/ocpi/2.2.1/commands/START_SESSION/1';

type Samples = { [K in OcpiTypeName]: OcpiValue<K> };

export const minimalSamples: Samples = {
  version: { version: '2.2.1', url: 'https://example.com/ocpi/2.2.1' },
  versions: [{ version: '2.2.1', url: 'https://example.com/ocpi/2.2.1' }],
  version_details: {
    version: '2.2.1',
    endpoints: [{ identifier: 'credentials', role: 'SENDER', url: 'https://example.com/ocpi/2.2.1/credentials' }],
  },
  endpoint: { identifier: 'locations', role: 'RECEIVER', url: 'https://example.com/ocpi/2.2.1/locations' },
  credentials: {
    token: 'ebf3b399-779f-4497-9b9d-ac6ad3cc44d2',
    url: 'https://example.com/ocpi/versions',
    roles: [{ role: 'CPO', business_details: businessDetails, party_id: 'EXA', country_code: 'NL' }],
  },
  credentials_role: { role: 'EMSP', business_details: businessDetails, party_id: 'EXA', country_code: 'NL' },
  location: {
    country_code: 'BE',
    party_id: 'BEC',
    id: 'LOC1',
    publish: true,
    address: 'F.Rooseveltlaan 3A',
    city: 'Gent',
    country: 'BEL',
    coordinates,
    time_zone: 'Europe/Brussels',
    last_updated: at,
  },
  evse: { uid: '3256', status: 'AVAILABLE', connectors: [connector], last_updated: at },
  connector,
  geo_location: coordinates,
  additional_geo_location: coordinates,
  publish_token_type: { group_id: 'DF000-2001-8999' },
  hours: { twentyfourseven: true },
  regular_hours: { weekday: 1, period_begin: '08:00', period_end: '20:00' },
  exceptional_period: { period_begin: '2018-12-25T03:00:00Z', period_end: '2018-12-25T05:00:00Z' },
  status_schedule: { period_begin: at, status: 'INOPERATIVE' },
  energy_mix: { is_green_energy: true },
  energy_source: { source: 'SOLAR', percentage: 50 },
  environmental_impact: { category: 'CARBON_DIOXIDE', amount: 372 },
  business_details: businessDetails,
  image: { url: 'https://example.com/img/logo.jpg', category: 'OPERATOR', type: 'jpeg' },
  session: {
    country_code: 'BE',
    party_id: 'BEC',
    id: '101',
    start_date_time: at,
    kwh: 0,
    cdr_token: cdrToken,
    auth_method: 'WHITELIST',
    location_id: 'LOC1',
    evse_uid: '3256',
    connector_id: '1',
    currency: 'EUR',
    status: 'PENDING',
    last_updated: at,
  },
  charging_preferences: { profile_type: 'FAST' },
  charging_preferences_response: 'ACCEPTED',
  cdr: {
    country_code: 'BE',
    party_id: 'BEC',
    id: '12345',
    start_date_time: '2015-06-29T21:39:09Z',
    end_date_time: '2015-06-29T23:37:32Z',
    cdr_token: cdrToken,
    auth_method: 'WHITELIST',
    cdr_location: {
      id: 'LOC1',
      address: 'F.Rooseveltlaan 3A',
      city: 'Gent',
      country: 'BEL',
      coordinates,
      evse_uid: '3256',
      evse_id: 'BE*BEC*E041503003',
      connector_id: '1',
      connector_standard: 'IEC_62196_T2',
      connector_format: 'SOCKET',
      connector_power_type: 'AC_1_PHASE',
    },
    currency: 'EUR',
    charging_periods: [chargingPeriod],
    total_cost: { excl_vat: 4 },
    total_energy: 15,
    total_time: 1.973,
    last_updated: '2015-06-29T22:01:13Z',
  },
  cdr_token: cdrToken,
  cdr_location: {
    id: 'LOC1',
    address: 'F.Rooseveltlaan 3A',
    city: 'Gent',
    country: 'BEL',
    coordinates,
    evse_uid: '#NA',
    evse_id: '#NA',
    connector_id: '#NA',
    connector_standard: 'IEC_62196_T2',
    connector_format: 'CABLE',
    connector_power_type: 'DC',
  },
  charging_period: chargingPeriod,
  cdr_dimension: { type: 'TIME', volume: 1.973 },
  signed_data: {
    encoding_method: 'OCMF',
    signed_values: [{ nature: 'Start', plain_data: 'OCMF|{}', signed_data: 'c2lnbmVk' }],
  },
  signed_value: { nature: 'End', plain_data: 'OCMF|{}', signed_data: 'c2lnbmVk' },
  tariff,
  tariff_element: { price_components: [{ type: 'FLAT', price: 0.5, step_size: 1 }] },
  price_component: { type: 'ENERGY', price: 0.25, step_size: 1 },
  tariff_restrictions: {},
  token,
  authorization_info: { allowed: 'ALLOWED', token },
  location_references: { location_id: 'LOC1' },
  energy_contract: { supplier_name: 'Greenpeace Energy eG' },
  cancel_reservation: { response_url: responseUrl, reservation_id: 'R1' },
  reserve_now: { response_url: responseUrl, token, expiry_date: at, reservation_id: 'R1', location_id: 'LOC1' },
  start_session: { response_url: responseUrl, token, location_id: 'LOC1' },
  stop_session: { response_url: responseUrl, session_id: '101' },
  unlock_connector: { response_url: responseUrl, location_id: 'LOC1', evse_uid: '3256', connector_id: '1' },
  command_response: { result: 'ACCEPTED', timeout: 30 },
  command_result: { result: 'ACCEPTED' },
  set_charging_profile: { charging_profile: chargingProfile, response_url: responseUrl },
  charging_profile: chargingProfile,
  charging_profile_period: { start_period: 0, limit: 16 },
  active_charging_profile: { start_date_time: at, charging_profile: chargingProfile },
  charging_profile_response: { result: 'ACCEPTED', timeout: 30 },
  active_charging_profile_result: { result: 'UNKNOWN' },
  charging_profile_result: { result: 'REJECTED' },
  clear_profile_result: { result: 'ACCEPTED' },
  client_info: { party_id: 'TNM', country_code: 'DE', role: 'EMSP', status: 'CONNECTED', last_updated: at },
  display_text: { language: 'en', text: 'Standard Tariff' },
  price: { excl_vat: 1.5 },
};

/** A fresh, deep copy of the minimal sample of `type`, safe to mutate in a test. */
export function sampleOf<T extends OcpiTypeName>(type: T): OcpiValue<T> {
  return structuredClone(minimalSamples[type]);
}
