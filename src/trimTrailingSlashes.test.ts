import { describe, expect, it } from 'vitest';
import { trimTrailingSlashes } from './trimTrailingSlashes.ts';

describe('trimTrailingSlashes', () => {
  it.each([
    ['https://p.example/ocpi/cdrs', 'https://p.example/ocpi/cdrs'],
    ['https://p.example/ocpi/cdrs/', 'https://p.example/ocpi/cdrs'],
    ['https://p.example/ocpi/cdrs///', 'https://p.example/ocpi/cdrs'],
    ['/a//b/', '/a//b'],
    ['///', ''],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(trimTrailingSlashes(input)).toBe(expected);
  });

  it('trims a long run of slashes that ends in another character, as partners can send', () => {
    const s = `${'/'.repeat(64_000)}x/`;
    expect(trimTrailingSlashes(s)).toBe(s.slice(0, -1));
  });
});
