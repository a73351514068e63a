import { describe, expect, it } from 'vitest';
import { exactOf, fromInteger, rounded, text, times, type Exact } from './exact.ts';
import { applyStepSizes, roundGroup, roundUpToStep, SECONDS, WH, type SteppableLine } from './stepSize.ts';

function line(volume: string | number, step: number | null): SteppableLine {
  const v = exactOf(volume, 'volume');
  return { volume: v, billed: v, surplus: fromInteger(0), component: step === null ? null : { stepSize: step } };
}
const t = (e: Exact) => text(e);
/** Hours as minutes, at microsecond resolution. */
const minutes = (e: Exact) => rounded(times(e, fromInteger(60)), 6);

describe('roundUpToStep', () => {
  it.each([
    ['115.2', 1, '116'],
    ['115.2', 25, '125'],
    ['115.2', 500, '500'],
    ['120', 60, '120'], // an exact multiple stays
    ['121', 60, '180'],
    ['0.001', 900, '900'],
    ['115.2', 0, '115.2'], // step_size 0 (tariff_5): no rounding
    ['0', 300, '0'],
    ['-5', 300, '-5'], // net export is not rounded
  ])('%s in steps of %i → %s', (quantity, step, expected) => {
    expect(t(roundUpToStep(exactOf(quantity, 'q'), step))).toBe(expected);
  });
});

describe('roundGroup', () => {
  it('rounds the session total and bills the surplus on the last priced line', () => {
    const lines = [line('4.3', 500), line('1.1', 500)];
    roundGroup(lines, WH);
    expect(lines.map((l) => t(l.billed))).toEqual(['4.3', '1.2']);
  });

  it('takes the step_size of the last priced line, not the first', () => {
    const lines = [line('0.1', 1800), line('0.1', 60)]; // 6 + 6 min; last step 60 s
    roundGroup(lines, SECONDS);
    expect(lines.map((l) => t(l.surplus))).toEqual(['0', '0']);
  });

  it('skips free lines: the surplus lands on the last priced one', () => {
    const lines = [line('0.1', 900), line('0.2', null)];
    roundGroup(lines, SECONDS);
    expect(t(lines[0]!.billed)).toBe('0.25');
    expect(t(lines[1]!.billed)).toBe('0.2');
  });

  it('reads decimal hours at millisecond resolution: 25 min written as 0.4166666666666667 h is 25 min', () => {
    const lines = [line(25 / 60, 60)];
    roundGroup(lines, SECONDS);
    expect(minutes(lines[0]!.billed)).toBe('25');
  });

  it('bills a genuinely longer volume up to the next step', () => {
    const lines = [line('0.417', 60)]; // 25 min 1.2 s
    roundGroup(lines, SECONDS);
    expect(minutes(lines[0]!.billed)).toBe('26');
  });
});

describe('applyStepSizes', () => {
  it('rounds only parking when PARKING_TIME was priced (charging time is followed by parking)', () => {
    const groups = { energy: [], time: [line('0.35', 600)], parking: [line(16 / 60, 600)], reservation: [] };
    applyStepSizes(groups);
    expect(t(groups.time[0]!.surplus)).toBe('0');
    expect(minutes(groups.parking[0]!.billed)).toBe('20');
  });

  it('rounds TIME when no PARKING_TIME was priced', () => {
    const groups = { energy: [], time: [line(25 / 60, 1800), line(10 / 60, 900)], parking: [line('0.1', null)], reservation: [] };
    applyStepSizes(groups);
    expect(minutes(groups.time[1]!.billed)).toBe('20');
  });

  it('rounds reservation time on its own', () => {
    const groups = { energy: [], time: [line('1', 900)], parking: [], reservation: [line(13 / 60, 300)] };
    applyStepSizes(groups);
    expect(minutes(groups.reservation[0]!.billed)).toBe('15');
    expect(t(groups.time[0]!.surplus)).toBe('0');
  });
});
