import { describe, expect, it } from 'vitest';
import { exactOf } from './exact.ts';
import { PricingInputError } from './errors.ts';
import { timeZone } from './localTime.ts';
import { compileRestrictions, restrictionsHold, UNEVALUABLE_CURRENT, UNEVALUABLE_POWER, type Measured, type MomentState } from './restrictions.ts';
import type { TariffRestrictions } from './types.ts';

// 2024-03-08 is a Friday. Local times here are UTC.
function moment(localUtc: string, extra: { seconds?: number; kwh?: string; current?: Partial<Measured>; power?: Partial<Measured> } = {}): MomentState {
  const m = (p?: Partial<Measured>): Measured => ({ min: p?.min ?? null, avg: p?.avg ?? null, max: p?.max ?? null });
  return {
    local: timeZone('UTC').local(Date.parse(`${localUtc.replace(' ', 'T')}:00Z`)),
    durationSeconds: extra.seconds ?? 0,
    energyKwh: exactOf(extra.kwh ?? 0, 'kwh'),
    current: m(extra.current),
    power: m(extra.power),
    unevaluable: 0,
  };
}

const holds = (r: TariffRestrictions, s: MomentState) => restrictionsHold(compileRestrictions(r, 'r'), s);
const d = (v: string) => Number(v);

describe('restrictions: time of day', () => {
  it.each([
    ['09:00–18:00, before start', { start_time: '09:00', end_time: '18:00' }, '2024-03-08 08:59', false],
    ['09:00–18:00, start is inclusive', { start_time: '09:00', end_time: '18:00' }, '2024-03-08 09:00', true],
    ['09:00–18:00, last minute', { start_time: '09:00', end_time: '18:00' }, '2024-03-08 17:59', true],
    ['09:00–18:00, end is exclusive', { start_time: '09:00', end_time: '18:00' }, '2024-03-08 18:00', false],
    ['22:00–06:00 wraps: before', { start_time: '22:00', end_time: '06:00' }, '2024-03-08 21:59', false],
    ['22:00–06:00 wraps: evening', { start_time: '22:00', end_time: '06:00' }, '2024-03-08 23:59', true],
    ['22:00–06:00 wraps: midnight', { start_time: '22:00', end_time: '06:00' }, '2024-03-09 00:00', true],
    ['22:00–06:00 wraps: morning', { start_time: '22:00', end_time: '06:00' }, '2024-03-09 05:59', true],
    ['22:00–06:00 wraps: end exclusive', { start_time: '22:00', end_time: '06:00' }, '2024-03-09 06:00', false],
    ['20:00–00:00 ends at end of day', { start_time: '20:00', end_time: '00:00' }, '2024-03-08 23:59', true],
    ['20:00–00:00 not after midnight', { start_time: '20:00', end_time: '00:00' }, '2024-03-09 00:00', false],
    ['only end_time 04:00: from midnight', { end_time: '04:00' }, '2024-03-08 00:00', true],
    ['only end_time 04:00: until 04:00', { end_time: '04:00' }, '2024-03-08 04:00', false],
    ['only start_time 04:00: not before', { start_time: '04:00' }, '2024-03-08 03:59', false],
    ['only start_time 04:00: until midnight', { start_time: '04:00' }, '2024-03-08 23:59', true],
    ['only end_time 00:00: all day', { end_time: '00:00' }, '2024-03-08 23:59', true],
    ['08:00–08:00 is 24 h', { start_time: '08:00', end_time: '08:00' }, '2024-03-08 07:59', true],
    ['00:00–00:00 is all day', { start_time: '00:00', end_time: '00:00' }, '2024-03-08 12:00', true],
  ] as const)('%s', (_name, r, at, expected) => {
    expect(holds(r, moment(at))).toBe(expected);
  });
});

describe('restrictions: dates and days', () => {
  it.each([
    ['start_date inclusive', { start_date: '2024-03-01' }, '2024-03-01 00:00', true],
    ['before start_date', { start_date: '2024-03-01' }, '2024-02-29 23:59', false],
    ['end_date exclusive', { end_date: '2024-03-03' }, '2024-03-03 00:00', false],
    ['before end_date', { end_date: '2024-03-03' }, '2024-03-02 23:59', true],
    ['daily window inside a date range (reading A of ocpi#499)', { start_date: '2024-03-01', end_date: '2024-03-31', start_time: '10:00', end_time: '11:00' }, '2024-03-15 12:00', false],
    ['day_of_week: Friday is not Saturday', { day_of_week: ['SATURDAY'] }, '2024-03-08 23:59', false],
    ['day_of_week: Saturday', { day_of_week: ['SATURDAY'] }, '2024-03-09 00:00', true],
    ['day_of_week: Sunday is not Saturday', { day_of_week: ['SATURDAY'] }, '2024-03-10 00:00', false],
    ['day_of_week: several days', { day_of_week: ['MONDAY', 'FRIDAY'] }, '2024-03-08 12:00', true],
    ['wrapping window belongs to its start day: Friday night', { day_of_week: ['FRIDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-08 22:00', true],
    ['wrapping window belongs to its start day: Saturday 01:00 continues Friday', { day_of_week: ['FRIDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-09 01:00', true],
    ['wrapping window belongs to its start day: Friday 01:00 is Thursday night', { day_of_week: ['FRIDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-08 01:00', false],
    ['wrapping window belongs to its start day: Saturday 22:00', { day_of_week: ['FRIDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-09 22:00', false],
    ['Monday 01:00 belongs to Sunday night (weekday rolls over)', { day_of_week: ['MONDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-11 01:00', false],
    ['Monday night continues into Tuesday', { day_of_week: ['MONDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-12 01:00', true],
    ['Sunday night continues into Monday', { day_of_week: ['SUNDAY'], start_time: '22:00', end_time: '06:00' }, '2024-03-11 01:00', true],
    ['dates read the instant, not the window: end_date at midnight', { end_date: '2024-03-09', start_time: '22:00', end_time: '06:00' }, '2024-03-09 01:00', false],
  ] as const)('%s', (_name, r, at, expected) => {
    expect(holds(r as TariffRestrictions, moment(at))).toBe(expected);
  });
});

describe('restrictions: energy, current, power, duration', () => {
  const at = '2024-03-08 12:00';
  it.each([
    ['min_kwh inclusive', { min_kwh: 20 }, { kwh: '20' }, true],
    ['below min_kwh', { min_kwh: 20 }, { kwh: '19.999' }, false],
    ['max_kwh exclusive', { max_kwh: 50 }, { kwh: '50' }, false],
    ['below max_kwh', { max_kwh: 50 }, { kwh: '49.999' }, true],
    ['min_current inclusive on MIN_CURRENT', { min_current: 32 }, { current: { min: d('32') } }, true],
    ['below min_current', { min_current: 32 }, { current: { min: d('31.9'), max: d('40') } }, false],
    ['min_current falls back to CURRENT', { min_current: 32 }, { current: { avg: d('40') } }, true],
    ['min_current falls back to MAX_CURRENT', { min_current: 32 }, { current: { max: d('31') } }, false],
    ['max_current exclusive on MAX_CURRENT', { max_current: 32 }, { current: { max: d('32') } }, false],
    ['below max_current', { max_current: 32 }, { current: { max: d('16'), min: d('6') } }, true],
    ['max_current falls back to CURRENT', { max_current: 32 }, { current: { avg: d('20') } }, true],
    ['max_current falls back to MIN_CURRENT', { max_current: 32 }, { current: { min: d('43') } }, false],
    ['no current measured: does not hold', { max_current: 32 }, {}, false],
    ['min_power inclusive', { min_power: 11 }, { power: { min: d('11') } }, true],
    ['below min_power', { min_power: 11 }, { power: { avg: d('10.99') } }, false],
    ['max_power exclusive', { max_power: 16 }, { power: { max: d('16') } }, false],
    ['below max_power', { max_power: 16 }, { power: { max: d('6') } }, true],
    ['min_duration inclusive', { min_duration: 1800 }, { seconds: 1800 }, true],
    ['before min_duration', { min_duration: 1800 }, { seconds: 1799 }, false],
    ['max_duration exclusive', { max_duration: 3600 }, { seconds: 3600 }, false],
    ['before max_duration', { max_duration: 3600 }, { seconds: 3599 }, true],
    ['all restrictions must hold (AND)', { start_time: '09:00', min_kwh: 10 }, { kwh: '5' }, false],
    ['no restrictions', {}, {}, true],
  ] as const)('%s', (_name, r, state, expected) => {
    expect(holds(r as TariffRestrictions, moment(at, state as Parameters<typeof moment>[1]))).toBe(expected);
  });

  it('reports a current or power restriction it cannot judge', () => {
    const s = moment(at);
    restrictionsHold(compileRestrictions({ max_current: 32, max_power: 10 }, 'r'), s);
    expect(s.unevaluable).toBe(UNEVALUABLE_CURRENT);
    restrictionsHold(compileRestrictions({ max_power: 10 }, 'r'), s);
    expect(s.unevaluable).toBe(UNEVALUABLE_CURRENT | UNEVALUABLE_POWER);
  });
});

describe('restrictions: malformed input names the field', () => {
  it.each([
    [{ start_time: '24:00' }, 'r.start_time'],
    [{ end_time: '9:00' }, 'r.end_time'],
    [{ start_date: '2024-13-01' }, 'r.start_date'],
    [{ day_of_week: ['FUNDAY'] }, 'r.day_of_week[0]'],
    [{ min_kwh: 'lots' }, 'r.min_kwh'],
    [{ reservation: 'MAYBE' }, 'r.reservation'],
    [{ min_duration: '10' }, 'r.min_duration'],
  ])('%j', (r, path) => {
    expect(() => compileRestrictions(r as unknown as TariffRestrictions, 'r')).toThrow(PricingInputError);
    try {
      compileRestrictions(r as unknown as TariffRestrictions, 'r');
    } catch (err) {
      expect((err as PricingInputError).path).toBe(path);
    }
  });
});
