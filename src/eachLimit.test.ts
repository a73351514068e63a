import { describe, expect, it } from 'vitest';
import { eachLimit } from './eachLimit.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('eachLimit', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await eachLimit([...Array(50).keys()], 4, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(i);
      running--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(peak).toBe(4);
  });

  it('rejects with the first failure after the running tasks settle, and starts nothing new on a failed runner', async () => {
    const done: number[] = [];
    const run = eachLimit([1, 2, 3, 4], 2, async (i) => {
      await tick();
      if (i === 1) throw new Error('one failed');
      done.push(i);
    });
    await expect(run).rejects.toThrow('one failed');
    expect(done).toContain(2);
  });
});
