// Every example JSON of the OCPI 2.2.1 spec (../shared/ocpi/examples/) validates as its type,
// except the two the spec got wrong, which must fail and name the wrong fields.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvelopeSchema } from '../envelope.ts';
import { validate, type OcpiTypeName } from '../validate.ts';
import { pathToFileURL } from 'node:url';
import { sharedOcpi } from '../testing/sharedFixtures.ts';

const examplesDir = pathToFileURL(`${sharedOcpi('examples')}/`);

function readExample(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, examplesDir), 'utf8'));
}

interface Case {
  file: string;
  type: OcpiTypeName;
  partial?: boolean;
  /** The spec wraps some examples (`{energy_mix: ...}`) or sends them in an envelope (`data`). */
  inner?: string;
  /** The envelope's data is a list of `type`. */
  each?: boolean;
}

const valid: Case[] = [
  { file: 'cdr_example.json', type: 'cdr' },
  { file: 'credentials_example.json', type: 'credentials' },
  { file: 'credentials_example2.json', type: 'credentials' },
  { file: 'credentials_example3.json', type: 'credentials' },
  { file: 'credentials_example4.json', type: 'credentials' },
  { file: 'location_energymix_example_complete.json', type: 'energy_mix', inner: 'energy_mix' },
  { file: 'location_energymix_example_energy_provider.json', type: 'energy_mix', inner: 'energy_mix' },
  { file: 'location_energymix_example_simple.json', type: 'energy_mix', inner: 'energy_mix' },
  { file: 'location_example.json', type: 'location' },
  { file: 'location_example_parking_garage_opening_hours.json', type: 'location' },
  { file: 'location_example_uc2_destination_charger.json', type: 'location' },
  { file: 'location_example_uc3_destination_charger_not_published.json', type: 'location' },
  { file: 'location_example_uc4_limited_visibility.json', type: 'location' },
  { file: 'location_example_uc5_home_charge_point.json', type: 'location' },
  { file: 'location_hours_247_open_exception_closing.json', type: 'hours' },
  { file: 'location_hours_opening_hours_with_exceptional_closing.json', type: 'hours' },
  { file: 'location_hours_opening_hours_with_exceptional_opening.json', type: 'hours' },
  { file: 'location_patch_example_location.json', type: 'location', partial: true },
  { file: 'location_patch_example_remove_evse.json', type: 'evse', partial: true },
  { file: 'location_patch_example_status.json', type: 'evse', partial: true },
  { file: 'location_patch_example_tariff.json', type: 'connector', partial: true },
  { file: 'location_regularhours_example.json', type: 'hours', inner: 'opening_times' },
  { file: 'session_example_1_simple_start.json', type: 'session' },
  { file: 'session_example_2_short_finished.json', type: 'session' },
  { file: 'session_patch_example_charging_period.json', type: 'session', partial: true },
  { file: 'session_patch_example_total_cost.json', type: 'session', partial: true },
  ...[
    'tariff_1_simple_2hour.json',
    'tariff_2_alt_text.json',
    'tariff_3_alt_url.json',
    'tariff_4_complex.json',
    'tariff_5_free_of_charge.json',
    'tariff_6_025kwh_start_max_price.json',
    'tariff_8_simple_025kwh.json',
    'tariff_9_025kwh_start.json',
    'tariff_10_025kwh_parking_start.json',
    'tariff_11_not_possible_alt_text.json',
    'tariff_12_025kwh_min_price.json',
    'tariff_13_simple_3hour_5parking.json',
    'tariff_14_step_size.json',
    'tariff_15_reservation_5_euro_per_hour.json',
    'tariff_16_reservation_2_euro_fee_5_euro_per_hour.json',
    'tariff_17_reservation_with_expire_fee.json',
    'tariff_18_reservation_with_expire_time.json',
    'tariffrestriction_example_max_duration.json',
    'tariffrestriction_example_max_power.json',
  ].map((file): Case => ({ file, type: 'tariff' })),
  { file: 'token_example_1_app_user.json', type: 'token' },
  { file: 'token_example_2_full_rfid.json', type: 'token' },
  { file: 'token_patch_example.json', type: 'token', partial: true },
  { file: 'token_put_example.json', type: 'token' },
  { file: 'transport_and_format_get_token_example.json', type: 'token', inner: 'data' },
  { file: 'transport_and_format_get_token_list_example.json', type: 'token', inner: 'data', each: true },
  { file: 'transport_and_format_version_details_example.json', type: 'version_details', inner: 'data' },
  { file: 'transport_and_format_version_info_example.json', type: 'versions', inner: 'data' },
  { file: 'type_displaytext_example.json', type: 'display_text' },
  { file: 'version_details_example.json', type: 'version_details' },
  { file: 'version_details_example2.json', type: 'version_details' },
  { file: 'versions_info_example.json', type: 'versions' },
];

const invalidFiles = ['location_put_example_add_evse.json', 'tariff_put_example.json'];
const envelopeOnlyFiles = ['transport_and_format_error_response.json'];

function payloads(c: Case): unknown[] {
  const json = readExample(c.file) as Record<string, unknown>;
  const value = c.inner ? json[c.inner] : json;
  return c.each ? (value as unknown[]) : [value];
}

describe('spec examples', () => {
  it('covers every example file', () => {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    const covered = [...valid.map((c) => c.file), ...invalidFiles, ...envelopeOnlyFiles];
    expect([...covered].sort()).toEqual([...files].sort());
  });

  it.each(valid)('$file is a valid $type', (c) => {
    for (const payload of payloads(c)) {
      const result = validate(c.type, payload, { partial: c.partial ?? false });
      expect(result.ok ? [] : result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
    }
  });

  it('reads transport_and_format envelopes as envelopes', () => {
    for (const file of [...envelopeOnlyFiles, ...valid.filter((c) => c.inner === 'data').map((c) => c.file)]) {
      expect(EnvelopeSchema.safeParse(readExample(file)).success).toBe(true);
    }
  });

  it('keeps Wh-scale ENERGY volumes of the session examples valid numbers', () => {
    const result = validate('session', readExample('session_example_2_short_finished.json'));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.charging_periods?.[0].dimensions).toContainEqual({ type: 'ENERGY', volume: 120 });
  });

  it('rejects location_put_example_add_evse.json, naming each wrong field', () => {
    const result = validate('evse', readExample('location_put_example_add_evse.json'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { path: 'connectors[0].power_type', message: 'required field missing' },
      { path: 'connectors[0].max_voltage', message: 'required field missing' },
      { path: 'connectors[0].max_amperage', message: 'required field missing' },
      { path: 'connectors[0].last_updated', message: 'required field missing' },
      { path: 'physical_reference', message: 'must be a string, got number' },
    ]);
    // `floor` instead of `floor_level` is not an error (unknown fields pass) but it is reported.
    expect(result.warnings).toEqual([{ path: 'floor', message: 'unknown field, ignored (not part of OCPI 2.2.1)' }]);
  });

  it('rejects tariff_put_example.json for its missing last_updated', () => {
    const result = validate('tariff', readExample('tariff_put_example.json'));
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'last_updated', message: 'required field missing' }] });
  });
});
