// Rules that span fields ("required when ...", "SHALL") and the PATCH bodies.
import { describe, expect, it } from 'vitest';
import { validate, type OcpiTypeName } from '../validate.ts';
import { sampleOf } from './samples.ts';

function errorsWith(type: OcpiTypeName, changes: Record<string, unknown>) {
  const result = validate(type, { ...(sampleOf(type) as object), ...changes });
  return result.ok ? [] : result.errors;
}

describe('PublishTokenType', () => {
  it.each([
    [{ uid: '12345678905880', type: 'RFID' }, []],
    [{ visual_number: '12345-67', issuer: 'NewMotion' }, []],
    [{ group_id: 'G1' }, []],
    [{ issuer: 'NewMotion' }, [{ path: '$', message: 'at least one of uid, visual_number or group_id must be set' }]],
    [{ uid: '12345678905880' }, [{ path: 'type', message: 'required when uid is set' }]],
    [{ visual_number: '12345-67' }, [{ path: 'issuer', message: 'required when visual_number is set' }]],
  ])('%j → %j', (token, errors) => {
    const result = validate('publish_token_type', token);
    expect(result.ok ? [] : result.errors).toEqual(errors);
  });

  it('reports the path inside the location', () => {
    expect(errorsWith('location', { publish: false, publish_allowed_to: [{ group_id: 'G' }, { uid: 'U' }] })).toEqual([
      { path: 'publish_allowed_to[1].type', message: 'required when uid is set' },
    ]);
  });

  it('may only be used when publish is false', () => {
    expect(errorsWith('location', { publish: true, publish_allowed_to: [{ group_id: 'G' }] })).toEqual([
      { path: 'publish_allowed_to', message: 'may only be used when publish is false' },
    ]);
    expect(errorsWith('location', { publish: true, publish_allowed_to: [] })).toEqual([]);
  });
});

describe('Hours', () => {
  const monday = { weekday: 1, period_begin: '08:00', period_end: '20:00' };
  it.each([
    [{ twentyfourseven: true }, []],
    [{ twentyfourseven: false, regular_hours: [monday] }, []],
    [{ twentyfourseven: false }, [{ path: 'regular_hours', message: 'must not be empty when twentyfourseven is false' }]],
    [{ twentyfourseven: true, regular_hours: [monday] }, [{ path: 'regular_hours', message: 'may only be used when twentyfourseven is false' }]],
    [
      { twentyfourseven: false, regular_hours: [{ ...monday, period_end: '07:00' }] },
      [{ path: 'regular_hours[0].period_end', message: 'must be later than period_begin' }],
    ],
  ])('%j → %j', (hours, errors) => {
    const result = validate('hours', hours);
    expect(result.ok ? [] : result.errors).toEqual(errors);
  });
});

describe('CDR', () => {
  it.each([
    [{ id: 'a'.repeat(36) }, []],
    [{ id: 'a'.repeat(37) }, [{ path: 'id', message: 'must be at most 36 characters unless credit is true' }]],
    [{ id: `${'a'.repeat(36)}-C`, credit: true, credit_reference_id: 'a'.repeat(36) }, []],
    [{ credit: true }, [{ path: 'credit_reference_id', message: 'required when credit is true' }]],
    [{ credit: false }, []],
  ])('%j → %j', (changes, errors) => {
    expect(errorsWith('cdr', changes)).toEqual(errors);
  });

  it('accepts #NA for the EVSE and connector of a reservation-only CDR', () => {
    const cdr = sampleOf('cdr');
    const cdrLocation = { ...cdr.cdr_location, evse_uid: '#NA', evse_id: '#NA', connector_id: '#NA' };
    expect(validate('cdr', { ...cdr, cdr_location: cdrLocation }).ok).toBe(true);
  });
});

describe('Commands and charging profiles', () => {
  it.each([
    [{ evse_uid: '3256', connector_id: '1' }, []],
    [{ evse_uid: '3256' }, []],
    [{ connector_id: '1' }, [{ path: 'evse_uid', message: 'required when connector_id is set' }]],
  ])('start_session %j → %j', (changes, errors) => {
    expect(errorsWith('start_session', changes)).toEqual(errors);
  });

  it.each([
    [{ start_period: 0, limit: 8.1 }, []],
    [{ start_period: 0, limit: 32 }, []],
    [{ start_period: 0, limit: 8.15 }, [{ path: 'limit', message: 'must have at most one decimal digit, e.g. 8.1' }]],
    [{ start_period: 1.5, limit: 8 }, [{ path: 'start_period', message: 'must be an integer' }]],
  ])('charging_profile_period %j → %j', (period, errors) => {
    const result = validate('charging_profile_period', period);
    expect(result.ok ? [] : result.errors).toEqual(errors);
  });

  it('reports a wrong nested token inside a command with its path', () => {
    const { last_updated: _dropped, ...token } = sampleOf('token');
    expect(errorsWith('reserve_now', { token })).toEqual([{ path: 'token.last_updated', message: 'required field missing' }]);
  });
});

describe('PATCH bodies', () => {
  it.each(['location', 'evse', 'connector', 'session', 'token'] as const)('%s: last_updated alone is a valid PATCH', (type) => {
    expect(validate(type, { last_updated: '2019-06-24T12:39:09Z' }, { partial: true }).ok).toBe(true);
  });

  it.each(['location', 'evse', 'connector', 'session', 'token'] as const)('%s: a PATCH without last_updated is refused', (type) => {
    expect(validate(type, {}, { partial: true })).toMatchObject({
      ok: false,
      errors: [{ path: 'last_updated', message: 'required field missing' }],
    });
  });

  it('keeps each sent field to its rules', () => {
    const patch = { status: 'BROKEN', connectors: [], floor_level: null, last_updated: '2019-06-24T12:39:09Z' };
    expect(validate('evse', patch, { partial: true })).toMatchObject({
      ok: false,
      errors: [
        { path: 'status', message: expect.stringContaining('must be one of AVAILABLE, BLOCKED') },
        { path: 'connectors', message: 'must contain at least 1 item' },
      ],
    });
  });

  it('does not let a required field be patched to null', () => {
    expect(validate('token', { valid: null, last_updated: '2019-06-19T02:11:11Z' }, { partial: true })).toMatchObject({
      ok: false,
      errors: [{ path: 'valid', message: 'must not be null' }],
    });
  });

  it('validates appended charging periods completely', () => {
    const patch = { charging_periods: [{ start_date_time: '2019-06-23T08:16:02Z' }], last_updated: '2019-06-23T08:16:02Z' };
    expect(validate('session', patch, { partial: true })).toMatchObject({
      ok: false,
      errors: [{ path: 'charging_periods[0].dimensions', message: 'required field missing' }],
    });
  });

  it('is typed with last_updated required', () => {
    const result = validate('session', { kwh: 1, last_updated: '2019-06-23T08:16:02Z' }, { partial: true });
    if (!result.ok) throw new Error('expected a valid patch');
    const lastUpdated: string = result.value.last_updated;
    expect(lastUpdated).toBe('2019-06-23T08:16:02Z');
    expect(result.value.kwh).toBe(1);
  });
});
