import { describe, expect, it } from 'vitest';
import { laneOf, partitionOf, partyKey, subjectSpace, UNORDERED_LANE } from './subjects.ts';

describe('partyKey', () => {
  it('upper-cases and hex-escapes what NATS gives meaning to, the same every time', () => {
    expect(partyKey('nl', 'abc')).toBe('NL-ABC');
    expect(partyKey('NL', 'A.*')).toBe('NL-A_2e_2a');
    expect(partyKey('NL', 'A>')).toBe('NL-A_3e');
    expect(partyKey('NL', 'A.*')).toBe('NL-A_2e_2a');
    // Different parties never share a key, even when one's id contains the separator.
    expect(partyKey('N-', 'L')).not.toBe(partyKey('N', '-L'));
  });
});

describe('lanes', () => {
  it('puts CDRs on the unordered lane and every other push on the ordered lane of its object', () => {
    expect(laneOf('cdrs', 'cdrs:NL-ABC:1', 16)).toBe(UNORDERED_LANE);
    const lane = laneOf('sessions', 'sessions:NL-ABC:S1', 16);
    expect(lane).toBe(partitionOf('sessions:NL-ABC:S1', 16));
    expect(laneOf('sessions', 'sessions:NL-ABC:S1', 16)).toBe(lane);
  });

  it('keeps the unordered lane out of every ordered lane filter', () => {
    const space = subjectSpace('T');
    const subject = space.ocpi('cdrs', 'post', 'NL-ABC', UNORDERED_LANE);
    const matches = (filter: string) => new RegExp(`^${filter.replace(/\./g, '\\.').replace(/\*/g, '[^.]+')}$`).test(subject);
    for (let p = 0; p < 16; p++) expect(matches(space.receiverLane('NL-ABC', p))).toBe(false);
    expect(matches(space.receiverLane('NL-ABC', UNORDERED_LANE))).toBe(true);
  });
});
