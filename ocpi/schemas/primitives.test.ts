// The basic types of types.asciidoc, rule by rule, on real fields: what passes, what fails, and
// the exact path and message a partner gets back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toOcpiDateTime } from '../envelope.ts';
import { validate, type OcpiTypeName } from '../validate.ts';
import { DATE_TIME_MESSAGE, isOcpiDateTime } from './primitives.ts';
import { sampleOf } from './samples.ts';

function errorsWith(type: OcpiTypeName, changes: Record<string, unknown>) {
  const result = validate(type, { ...(sampleOf(type) as object), ...changes });
  return result.ok ? [] : result.errors;
}

describe('CiString(n): printable ASCII, at most n characters', () => {
  it.each([
    ['DE', []],
    ['de', []], // case-insensitive, so lower case is fine
    ['D', []],
    ['', []],
    ['DEU', [{ path: 'country_code', message: 'must be at most 2 characters' }]],
    ['DÉ', [{ path: 'country_code', message: 'must contain only printable ASCII characters' }]],
    ['D\t', [{ path: 'country_code', message: 'must contain only printable ASCII characters' }]],
    [49, [{ path: 'country_code', message: 'must be a string, got number' }]],
  ])('token.country_code %j → %j', (value, errors) => {
    expect(errorsWith('token', { country_code: value })).toEqual(errors);
  });

  it.each([
    ['a'.repeat(36), []],
    ['A-b_c.1 2', []], // a space is printable ASCII
    ['a'.repeat(37), [{ path: 'uid', message: 'must be at most 36 characters' }]],
    ['abc\u00a0', [{ path: 'uid', message: 'must contain only printable ASCII characters' }]],
  ])('token.uid %j → %j', (value, errors) => {
    expect(errorsWith('token', { uid: value })).toEqual(errors);
  });
});

describe('string(n): printable UTF-8, at most n characters', () => {
  it.each([
    ['Straße 1 – Köln 日本', []],
    ['a'.repeat(45), []],
    ['a'.repeat(46), [{ path: 'cdr_location.address', message: 'must be at most 45 characters' }]],
    ['line\r\nbreak', [{ path: 'cdr_location.address', message: 'must be printable text without control characters (CR, LF, tab, ...)' }]],
    ['tab\there', [{ path: 'cdr_location.address', message: 'must be printable text without control characters (CR, LF, tab, ...)' }]],
  ])('cdr.cdr_location.address (string(45)) %j → %j', (value, errors) => {
    const cdr = sampleOf('cdr');
    const result = validate('cdr', { ...cdr, cdr_location: { ...cdr.cdr_location, address: value } });
    expect(result.ok ? [] : result.errors).toEqual(errors);
  });

  it.each([
    ['location', 'address', 255],
    ['location', 'state', 45],
    ['cdr_location', 'state', 20],
    ['signed_value', 'plain_data', 5000],
    ['display_text', 'text', 512],
    ['business_details', 'name', 100],
  ] as const)('%s.%s keeps the errata length %i', (type, field, max) => {
    expect(errorsWith(type, { [field]: 'x'.repeat(max) })).toEqual([]);
    expect(errorsWith(type, { [field]: 'x'.repeat(max + 1) })).toEqual([
      { path: field, message: `must be at most ${max} characters` },
    ]);
  });

  it('URL is a string(255)', () => {
    const long = `https://example.com/${'a'.repeat(236)}`;
    expect(errorsWith('version', { url: long.slice(0, 255) })).toEqual([]);
    expect(errorsWith('version', { url: long })).toEqual([{ path: 'url', message: 'must be at most 255 characters' }]);
  });
});

describe('DateTime: RFC 3339 in UTC, no offset', () => {
  it.each([
    '2015-06-29T20:39:09Z',
    '2015-06-29T20:39:09',
    '2016-12-29T17:45:09.2Z',
    '2016-12-29T17:45:09.2',
    '2018-01-01T01:08:01.123Z',
    '2018-01-01T01:08:01.123',
    '2020-02-29T00:00:00Z', // leap day
    '2000-02-29T00:00:00Z', // leap day of a century divisible by 400
    '2019-06-24T23:59:59.123456Z', // microseconds from partners
  ])('accepts %s', (value) => {
    expect(isOcpiDateTime(value)).toBe(true);
    expect(errorsWith('token', { last_updated: value })).toEqual([]);
  });

  it.each([
    ['2015-06-29T20:39:09+00:00', 'offset, even +00:00, is not UTC in OCPI'],
    ['2015-06-29T22:39:09+02:00', 'offset'],
    ['2015-06-29T20:39:09z', 'lower-case z'],
    ['2015-06-29 20:39:09Z', 'space instead of T'],
    ['2015-06-29', 'date only'],
    ['2015-02-30T10:00:00Z', 'no 30 February'],
    ['2019-02-29T10:00:00Z', 'no 29 February in 2019'],
    ['1900-02-29T10:00:00Z', 'no 29 February in 1900'],
    ['2015-04-31T10:00:00Z', 'no 31 April'],
    ['2015-13-01T10:00:00Z', 'month 13'],
    ['2015-06-29T24:00:00Z', 'hour 24'],
    ['2015-06-29T20:60:00Z', 'minute 60'],
    ['2015-06-29T20:39Z', 'no seconds'],
    ['2015-06-29T20:39:09.Z', 'empty fraction'],
    ['', 'empty'],
  ])('rejects %s (%s)', (value) => {
    expect(isOcpiDateTime(value)).toBe(false);
    expect(errorsWith('token', { last_updated: value })).toEqual([{ path: 'last_updated', message: DATE_TIME_MESSAGE }]);
  });

  it('accepts every timestamp the hub writes, and refuses the same instant with an offset', () => {
    const dates = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
    fc.assert(
      fc.property(dates, (date) => {
        expect(isOcpiDateTime(toOcpiDateTime(date))).toBe(true);
        expect(isOcpiDateTime(date.toISOString())).toBe(true);
        expect(isOcpiDateTime(date.toISOString().replace('Z', '+00:00'))).toBe(false);
      }),
    );
  });

  it('rejects a number with a type message', () => {
    expect(errorsWith('token', { last_updated: 1435610349 })).toEqual([
      { path: 'last_updated', message: 'must be a string, got number' },
    ]);
  });
});

describe('enums are strict', () => {
  it.each([
    ['power_type', 'AC_4_PHASE', 'must be one of AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE, DC'],
    ['power_type', 'dc', 'must be one of AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE, DC'],
    ['format', 'PLUG', 'must be one of SOCKET, CABLE'],
    ['format', 1, 'must be one of SOCKET, CABLE'],
    ['format', null, 'must not be null'],
    ['format', undefined, 'required field missing'],
  ])('connector.%s = %j → %s', (field, value, message) => {
    expect(errorsWith('connector', { [field]: value })).toEqual([{ path: field, message }]);
  });

  it('checks every value of an enum list', () => {
    expect(errorsWith('evse', { capabilities: ['RESERVABLE', 'TELEPORT'] })).toEqual([
      { path: 'capabilities[1]', message: expect.stringMatching(/^must be one of CHARGING_PROFILE_CAPABLE, .*UNLOCK_CAPABLE$/) },
    ]);
  });

  it('validates a bare enum payload (charging preferences response)', () => {
    expect(validate('charging_preferences_response', 'NOT_POSSIBLE').ok).toBe(true);
    expect(validate('charging_preferences_response', 'MAYBE')).toMatchObject({
      ok: false,
      errors: [{ path: '$', message: expect.stringContaining('must be one of ACCEPTED, DEPARTURE_REQUIRED') }],
    });
  });
});

describe('lists', () => {
  it.each([
    [[], [{ path: 'connectors', message: 'must contain at least 1 item' }]],
    [null, [{ path: 'connectors', message: 'must not be null' }]],
    [undefined, [{ path: 'connectors', message: 'required field missing' }]],
    [{}, [{ path: 'connectors', message: 'must be a list, got object' }]],
  ])('`+` list evse.connectors = %j → %j', (value, errors) => {
    expect(errorsWith('evse', { connectors: value })).toEqual(errors);
  });

  it.each([[null], [[]], [undefined], [['RESERVABLE']]])('`*` list evse.capabilities = %j is accepted', (value) => {
    expect(errorsWith('evse', { capabilities: value })).toEqual([]);
  });

  it('reports the index of a wrong item deep inside lists', () => {
    const cdr = sampleOf('cdr');
    const periods = [cdr.charging_periods[0], { start_date_time: '2015-06-29T22:39:09Z', dimensions: [{ type: 'TIME', volume: 1 }, { type: 'ENERGY', volume: '15' }] }];
    expect(validate('cdr', { ...cdr, charging_periods: periods })).toMatchObject({
      ok: false,
      errors: [{ path: 'charging_periods[1].dimensions[1].volume', message: 'must be a number, got string' }],
    });
  });
});

describe('numbers', () => {
  it.each([
    [{ max_voltage: 230.5 }, [{ path: 'max_voltage', message: 'must be an integer' }]],
    [{ max_voltage: '230' }, [{ path: 'max_voltage', message: 'must be a number, got string' }]],
    [{ max_electric_power: 22000 }, []],
  ])('connector %j → %j', (changes, errors) => {
    expect(errorsWith('connector', changes)).toEqual(errors);
  });

  it.each([
    [{ width: 99999 }, []],
    [{ width: 100000 }, [{ path: 'width', message: 'must be at most 99999' }]],
  ])('image int(5) %j → %j', (changes, errors) => {
    expect(errorsWith('image', changes)).toEqual(errors);
  });

  it.each([
    [0, [{ path: 'weekday', message: 'must be at least 1' }]],
    [7, []],
    [8, [{ path: 'weekday', message: 'must be at most 7' }]],
  ])('regular_hours.weekday %i → %j', (weekday, errors) => {
    expect(errorsWith('regular_hours', { weekday })).toEqual(errors);
  });

  it.each([
    [100, []],
    [100.5, [{ path: 'percentage', message: 'must be at most 100' }]],
    [-1, [{ path: 'percentage', message: 'must be at least 0' }]],
  ])('energy_source.percentage %d → %j', (percentage, errors) => {
    expect(errorsWith('energy_source', { percentage })).toEqual(errors);
  });

  it('accepts Wh-scale ENERGY volumes: units are not checked', () => {
    expect(errorsWith('cdr_dimension', { type: 'ENERGY', volume: 41000 })).toEqual([]);
  });
});

describe('patterned strings', () => {
  it.each([
    ['latitude', '51.047599', []],
    ['latitude', '-9.12345', []],
    ['latitude', '51.0475', [{ path: 'latitude', message: 'must look like 50.770774 (^-?[0-9]{1,2}\\.[0-9]{5,7}$)' }]],
    ['latitude', '51,047599', [{ path: 'latitude', message: 'must look like 50.770774 (^-?[0-9]{1,2}\\.[0-9]{5,7}$)' }]],
    ['longitude', '-126.104965', []],
    ['longitude', '1260.104965', [{ path: 'longitude', message: 'must look like -126.104965 (^-?[0-9]{1,3}\\.[0-9]{5,7}$)' }]],
  ])('geo_location.%s %j → %j', (field, value, errors) => {
    expect(errorsWith('geo_location', { [field]: value })).toEqual(errors);
  });

  it.each([
    [{ start_time: '13:30', end_time: '00:00' }, []],
    [{ start_time: '24:00' }, [{ path: 'start_time', message: 'must look like 18:15 (^([0-1][0-9]|2[0-3]):[0-5][0-9]$)' }]],
    [{ start_time: '9:00' }, [{ path: 'start_time', message: 'must look like 18:15 (^([0-1][0-9]|2[0-3]):[0-5][0-9]$)' }]],
    [{ start_date: '2015-12-24', end_date: '2015-12-27' }, []],
    [{ start_date: '2015-02-30' }, [{ path: 'start_date', message: 'must be a calendar date YYYY-MM-DD, e.g. 2015-12-24' }]],
    [{ end_date: '24-12-2015' }, [{ path: 'end_date', message: 'must be a calendar date YYYY-MM-DD, e.g. 2015-12-24' }]],
  ])('tariff_restrictions %j → %j', (changes, errors) => {
    expect(errorsWith('tariff_restrictions', changes)).toEqual(errors);
  });

  it.each([
    ['ebf3b399-779f-4497-9b9d-ac6ad3cc44d2', []],
    ['has space', [{ path: 'token', message: 'must contain only printable ASCII characters without spaces (U+0021 to U+007E)' }]],
    ['x'.repeat(65), [{ path: 'token', message: 'must be at most 64 characters' }]],
  ])('credentials.token %j → %j', (token, errors) => {
    expect(errorsWith('credentials', { token })).toEqual(errors);
  });
});

describe('unknown fields', () => {
  it('are accepted, dropped from the parsed value, and reported as warnings', () => {
    const result = validate('token', { ...sampleOf('token'), x_custom: 1, energy_contract: { supplier_name: 'S', extra: true } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).not.toHaveProperty('x_custom');
    expect(result.warnings.map((w) => w.path)).toEqual(['x_custom', 'energy_contract.extra']);
  });
});
