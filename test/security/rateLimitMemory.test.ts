// The admin failure limit keeps a bucket per client address; an attacker holding an IPv6 prefix has
// addresses without end, so the buckets must stay bounded without freeing a limited address.
import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/http/middlewares/rateLimit.ts';

describe('token buckets under many keys (pure)', () => {
  it('stay bounded, keeping an address that used up its bucket', () => {
    let now = 0;
    const buckets = new TokenBuckets(1 / 60, 2, () => now, 1000);
    expect(buckets.take('2001:db8::limited')).toBe(0);
    expect(buckets.take('2001:db8::limited')).toBe(0);
    expect(buckets.take('2001:db8::limited')).toBeGreaterThan(0);
    now = 1000;
    for (let i = 0; i < 5000; i++) buckets.take(`2001:db8::${i.toString(16)}`);
    expect(buckets.size).toBeLessThanOrEqual(1000);
    // The fullest buckets went first; this one was nearly empty, so it is still limited.
    expect(buckets.peek('2001:db8::limited')).toBeGreaterThan(0);
  });

  it('drop the oldest among equally full buckets', () => {
    const buckets = new TokenBuckets(1 / 60, 2, () => 0, 1000);
    for (let i = 0; i < 5000; i++) buckets.take(`k${i}`);
    expect(buckets.size).toBeLessThanOrEqual(1000);
    expect(buckets.peek('k4999')).toBe(0);
  });
});
