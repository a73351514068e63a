// What simulated partners own: CPO locations in several countries and time zones with tariffs
// that use restrictions (time of day, day of week, power, parking), and eMSP tokens.
import type { Random } from './random.ts';

export interface Region {
  country: string;
  countryCode: string;
  city: string;
  timeZone: string;
  currency: string;
  latitude: number;
  longitude: number;
}

export const regions: Region[] = [
  { country: 'NLD', countryCode: 'NL', city: 'Amsterdam', timeZone: 'Europe/Amsterdam', currency: 'EUR', latitude: 52.37, longitude: 4.89 },
  { country: 'DEU', countryCode: 'DE', city: 'Berlin', timeZone: 'Europe/Berlin', currency: 'EUR', latitude: 52.52, longitude: 13.4 },
  { country: 'BEL', countryCode: 'BE', city: 'Gent', timeZone: 'Europe/Brussels', currency: 'EUR', latitude: 51.05, longitude: 3.72 },
  { country: 'GBR', countryCode: 'GB', city: 'London', timeZone: 'Europe/London', currency: 'GBP', latitude: 51.5, longitude: -0.12 },
  { country: 'PRT', countryCode: 'PT', city: 'Lisbon', timeZone: 'Europe/Lisbon', currency: 'EUR', latitude: 38.72, longitude: -9.14 },
];

type Json = Record<string, any>;

const price = (value: number, vat = 21) => ({ excl_vat: value, incl_vat: Math.round(value * (100 + vat)) / 100 });

/** A tariff with a day rate, a cheaper night rate (window wrapping midnight), weekend pricing and parking. */
export function tariffFor(owner: { country_code: string; party_id: string }, id: string, currency: string, random: Random, lastUpdated: string): Json {
  const kwh = Math.round((0.25 + random.next() * 0.35) * 100) / 100;
  const night = Math.round(kwh * 0.7 * 100) / 100;
  const vat = currency === 'GBP' ? 20 : 21;
  return {
    country_code: owner.country_code,
    party_id: owner.party_id,
    id,
    currency,
    type: 'REGULAR',
    tariff_alt_text: [{ language: 'en', text: `Day ${kwh}/kWh, night ${night}/kWh, parking after 3 hours` }],
    min_price: price(0.5, vat),
    elements: [
      { price_components: [{ type: 'FLAT', price: 0.35, vat, step_size: 1 }] },
      { price_components: [{ type: 'ENERGY', price: night, vat, step_size: 1 }], restrictions: { start_time: '22:00', end_time: '07:00' } },
      { price_components: [{ type: 'ENERGY', price: kwh, vat, step_size: 1 }], restrictions: { day_of_week: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] } },
      { price_components: [{ type: 'ENERGY', price: Math.round(kwh * 1.1 * 100) / 100, vat, step_size: 1 }] },
      { price_components: [{ type: 'PARKING_TIME', price: 2, vat, step_size: 60 }], restrictions: { min_duration: 10_800 } },
    ],
    last_updated: lastUpdated,
  };
}

export function locationFor(owner: { country_code: string; party_id: string }, id: string, region: Region, tariffId: string, random: Random, lastUpdated: string): Json {
  const evses = Array.from({ length: random.int(2, 4) }, (_, i) => {
    const dc = random.chance(0.3);
    return {
      uid: `${id}-E${i + 1}`,
      evse_id: `${owner.country_code}*${owner.party_id}*E${id.replace(/\W/g, '')}${i + 1}`,
      status: 'AVAILABLE',
      capabilities: ['RFID_READER', 'REMOTE_START_STOP_CAPABLE'],
      connectors: [
        dc
          ? { id: '1', standard: 'IEC_62196_T2_COMBO', format: 'CABLE', power_type: 'DC', max_voltage: 500, max_amperage: 100, max_electric_power: 50_000, tariff_ids: [tariffId], last_updated: lastUpdated }
          : { id: '1', standard: 'IEC_62196_T2', format: 'SOCKET', power_type: 'AC_3_PHASE', max_voltage: 230, max_amperage: 32, max_electric_power: 22_000, tariff_ids: [tariffId], last_updated: lastUpdated },
      ],
      last_updated: lastUpdated,
    };
  });
  return {
    country_code: owner.country_code,
    party_id: owner.party_id,
    id,
    publish: true,
    name: `${region.city} ${id}`,
    address: `${random.int(1, 200)} Main Street`,
    city: region.city,
    postal_code: String(random.int(1000, 9999)),
    country: region.country,
    coordinates: { latitude: (region.latitude + random.next() / 10).toFixed(6), longitude: (region.longitude + random.next() / 10).toFixed(6) },
    time_zone: region.timeZone,
    evses,
    last_updated: lastUpdated,
  };
}

export function tokenFor(owner: { country_code: string; party_id: string }, index: number, lastUpdated: string): Json {
  const uid = `${owner.party_id}${String(index).padStart(6, '0')}`;
  return {
    country_code: owner.country_code,
    party_id: owner.party_id,
    uid,
    type: 'RFID',
    contract_id: `${owner.country_code}-${owner.party_id}-C${String(index).padStart(8, '0')}`,
    issuer: `${owner.party_id} Mobility`,
    valid: true,
    whitelist: 'ALLOWED',
    last_updated: lastUpdated,
  };
}
