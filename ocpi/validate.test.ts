import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CdrSchema, LocationSchema, TokenPatchSchema } from './schemas/index.ts';
import { sampleOf } from './schemas/samples.ts';
import {
  describeErrors,
  formatPath,
  formatZodIssues,
  isOcpiTypeName,
  ocpiTypeNames,
  patchableTypeNames,
  schemaFor,
  validate,
} from './validate.ts';

describe('ocpiTypeNames', () => {
  it('names every OCPI object in snake_case, including the ones the HTTP layer needs', () => {
    const expected = [
      'cdr', 'session', 'tariff', 'location', 'evse', 'connector', 'token', 'credentials', 'client_info',
      'charging_preferences', 'charging_preferences_response', 'authorization_info', 'location_references',
      'command_response', 'command_result', 'cancel_reservation', 'reserve_now', 'start_session', 'stop_session',
      'unlock_connector', 'charging_profile', 'set_charging_profile', 'active_charging_profile',
      'charging_profile_response', 'active_charging_profile_result', 'charging_profile_result', 'clear_profile_result',
      'version', 'versions', 'version_details', 'endpoint', 'display_text', 'price', 'business_details', 'energy_mix',
      'hours', 'cdr_token', 'cdr_location', 'charging_period', 'tariff_element',
    ];
    for (const name of expected) expect(ocpiTypeNames).toContain(name);
    expect(new Set(ocpiTypeNames).size).toBe(ocpiTypeNames.length);
  });

  it('knows which types can be PATCHed', () => {
    expect(patchableTypeNames).toEqual(['location', 'evse', 'connector', 'session', 'token']);
  });

  it('guards strings from outside', () => {
    expect(isOcpiTypeName('cdr')).toBe(true);
    expect(isOcpiTypeName('toString')).toBe(false);
    expect(isOcpiTypeName('CDR')).toBe(false);
  });
});

describe('schemaFor', () => {
  it('returns the full schema, or the PATCH schema when partial', () => {
    expect(schemaFor('cdr')).toBe(CdrSchema);
    expect(schemaFor('location', false)).toBe(LocationSchema);
    expect(schemaFor('token', true)).toBe(TokenPatchSchema);
  });

  it('refuses a partial schema for a type that cannot be PATCHed', () => {
    expect(() => schemaFor('cdr', true)).toThrow('"cdr" cannot be PATCHed; partial validation exists for location, evse, connector, session, token');
  });

  it('refuses an unknown type, listing the valid ones', () => {
    expect(() => schemaFor('nope' as never)).toThrow(/^unknown OCPI type "nope"; valid types: version, versions, /);
  });
});

describe('validate', () => {
  it('returns the parsed, typed value when valid', () => {
    const result = validate('cdr', sampleOf('cdr'));
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (result.ok) expect(result.value.total_cost.excl_vat).toBe(4);
  });

  it('lists every broken rule with its JSON path, in document order', () => {
    const cdr = sampleOf('cdr') as Record<string, unknown>;
    const broken = {
      ...cdr,
      id: 'x'.repeat(40),
      total_cost: { incl_vat: 4.4 },
      cdr_location: { ...(cdr.cdr_location as object), connector_power_type: 'AC_4_PHASE' },
      last_updated: '2015-06-29T22:01:13+01:00',
    };
    const result = validate('cdr', broken);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { path: 'id', message: 'must be at most 39 characters' },
      { path: 'cdr_location.connector_power_type', message: 'must be one of AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE, DC' },
      { path: 'total_cost.excl_vat', message: 'required field missing' },
      { path: 'last_updated', message: 'must be an RFC 3339 UTC DateTime without offset, e.g. 2015-06-29T20:39:09Z' },
    ]);
  });

  it('uses $ for the value itself', () => {
    expect(validate('cdr', null)).toMatchObject({ ok: false, errors: [{ path: '$', message: 'must not be null' }] });
    expect(validate('cdr', [])).toMatchObject({ ok: false, errors: [{ path: '$', message: 'must be an object, got array' }] });
    expect(validate('versions', [])).toMatchObject({ ok: false, errors: [{ path: '$', message: 'must contain at least 1 item' }] });
  });

  it('throws for partial validation of a type without PATCH', () => {
    expect(() => validate('tariff', {}, { partial: true })).toThrow(RangeError);
  });
});

describe('formatZodIssues', () => {
  it('gives the same plain words for errors of schemas parsed elsewhere (without reportInput)', () => {
    const result = CdrSchema.safeParse({ ...sampleOf('cdr'), auth_method: undefined, currency: undefined, total_time: null });
    expect(result.success).toBe(false);
    expect(formatZodIssues(result.error!)).toEqual([
      { path: 'auth_method', message: 'required field missing' },
      { path: 'currency', message: 'required field missing' },
      { path: 'total_time', message: 'must not be null' },
    ]);
  });

  it('handles any zod schema, not only OCPI ones', () => {
    const schema = z.strictObject({
      limit: z.number().int().max(1000),
      tags: z.array(z.string()).max(2),
      mode: z.union([z.literal('a'), z.number()]),
      step: z.number().multipleOf(5),
    });
    const result = schema.safeParse({ limit: 5000, tags: ['a', 'b', 'c'], mode: true, step: 7, extra: 1 });
    expect(formatZodIssues(result.error!)).toEqual([
      { path: 'limit', message: 'must be at most 1000' },
      { path: 'tags', message: 'must contain at most 2 items' },
      { path: 'mode', message: 'must be one of a' },
      { path: 'mode', message: 'must be a number, got boolean' },
      { path: 'step', message: 'must be a multiple of 5' },
      { path: '$', message: 'unknown field: extra' },
    ]);
  });
});

describe('formatPath', () => {
  it.each([
    [[], '$'],
    [['total_cost', 'excl_vat'], 'total_cost.excl_vat'],
    [['charging_periods', 0, 'dimensions', 1, 'volume'], 'charging_periods[0].dimensions[1].volume'],
    [[2, 'uid'], '[2].uid'],
    [['odd key', 'x-y'], '["odd key"]["x-y"]'],
  ])('%j → %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('describeErrors', () => {
  const errors = [
    { path: 'total_cost.excl_vat', message: 'required field missing' },
    { path: 'id', message: 'must be at most 39 characters' },
  ];

  it('makes one status_message line naming the type', () => {
    expect(describeErrors('cdr', errors)).toBe(
      'Invalid cdr: total_cost.excl_vat: required field missing; id: must be at most 39 characters',
    );
  });

  it('works without a type name', () => {
    expect(describeErrors(errors.slice(0, 1))).toBe('Invalid object: total_cost.excl_vat: required field missing');
  });

  it('stays readable with many errors', () => {
    const many = Array.from({ length: 14 }, (_, i) => ({ path: `f${i}`, message: 'required field missing' }));
    const line = describeErrors('location', many);
    expect(line).toMatch(/^Invalid location: f0: required field missing; .*f9: required field missing; and 4 more$/);
    expect(line).not.toContain('\n');
  });
});
