import { describe, expect, it } from 'vitest';
import { Dec, SECONDS_PER_HOUR, WH_PER_KWH } from './decimal.ts';
import { applyStepSizes, roundGroup, roundUpToStep, type SteppableLine } from './stepSize.ts';

function line(volume: string | number, step: number | null): SteppableLine {
  const v = new Dec(volume);
  return { volume: v, billed: v, surplus: new Dec(0), component: step === null ? null : { stepSize: step } };
}

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
    expect(roundUpToStep(new Dec(quantity), step).toFixed()).toBe(expected);
  });
});

describe('roundGroup', () => {
  it('rounds the session total and bills the surplus on the last priced line', () => {
    const lines = [line('4.3', 500), line('1.1', 500)];
    roundGroup(lines, WH_PER_KWH);
    expect(lines.map((l) => l.billed.toFixed())).toEqual(['4.3', '1.2']);
  });

  it('takes the step_size of the last priced line, not the first', () => {
    const lines = [line('0.1', 1800), line('0.1', 60)]; // 6 + 6 min; last step 60 s
    roundGroup(lines, SECONDS_PER_HOUR);
    expect(lines.map((l) => l.surplus.toFixed())).toEqual(['0', '0']);
  });

  it('skips free lines: the surplus lands on the last priced one', () => {
    const lines = [line('0.1', 900), line('0.2', null)];
    roundGroup(lines, SECONDS_PER_HOUR);
    expect(lines[0]!.billed.toFixed()).toBe('0.25');
    expect(lines[1]!.billed.toFixed()).toBe('0.2');
  });

  it('reads decimal hours at millisecond resolution: 25 min written as 0.4166666666666667 h is 25 min', () => {
    const lines = [line(25 / 60, 60)];
    roundGroup(lines, SECONDS_PER_HOUR);
    expect(lines[0]!.billed.times(3600).toDecimalPlaces(6).toFixed()).toBe('1500');
  });

  it('bills a genuinely longer volume up to the next step', () => {
    const lines = [line('0.417', 60)]; // 25 min 1.2 s
    roundGroup(lines, SECONDS_PER_HOUR);
    expect(lines[0]!.billed.times(60).toFixed()).toBe('26');
  });
});

describe('applyStepSizes', () => {
  it('rounds only parking when PARKING_TIME was priced (charging time is followed by parking)', () => {
    const groups = { energy: [], time: [line('0.35', 600)], parking: [line(16 / 60, 600)], reservation: [] };
    applyStepSizes(groups);
    expect(groups.time[0]!.surplus.toFixed()).toBe('0');
    expect(groups.parking[0]!.billed.times(60).toDecimalPlaces(6).toFixed()).toBe('20');
  });

  it('rounds TIME when no PARKING_TIME was priced', () => {
    const groups = { energy: [], time: [line(25 / 60, 1800), line(10 / 60, 900)], parking: [line('0.1', null)], reservation: [] };
    applyStepSizes(groups);
    expect(groups.time[1]!.billed.times(60).toDecimalPlaces(6).toFixed()).toBe('20');
  });

  it('rounds reservation time on its own', () => {
    const groups = { energy: [], time: [line('1', 900)], parking: [], reservation: [line(13 / 60, 300)] };
    applyStepSizes(groups);
    expect(groups.reservation[0]!.billed.times(60).toDecimalPlaces(6).toFixed()).toBe('15');
    expect(groups.time[0]!.surplus.toFixed()).toBe('0');
  });
});
