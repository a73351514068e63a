import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { greedyInstructions, net, NettingInvariantError, type Obligation } from './netting.ts';

const o = (debtor: string, creditor: string, amount: number): Obligation => ({ debtor, creditor, amount: BigInt(amount) });

describe('net', () => {
  it.each([
    {
      name: 'one eMSP pays one CPO, fee to the hub',
      obligations: [o('E1', 'C1', 1000), o('C1', 'HUB', 10)],
      nets: { E1: -1000n, C1: 990n, HUB: 10n },
      transfers: 2,
    },
    {
      name: 'a party in both roles nets its own flows',
      obligations: [o('E1', 'C1', 1000), o('C1', 'E1', 400), o('E1', 'C2', 100)],
      nets: { E1: -700n, C1: 600n, C2: 100n },
      transfers: 3,
    },
    {
      name: 'a ring nets to nothing',
      obligations: [o('A', 'B', 500), o('B', 'C', 500), o('C', 'A', 500)],
      nets: { A: 0n, B: 0n, C: 0n },
      transfers: 0,
    },
    {
      name: 'negative obligations (credits) reverse the direction',
      obligations: [o('E1', 'C1', -300)],
      nets: { E1: 300n, C1: -300n },
      transfers: 2,
    },
  ])('$name', ({ obligations, nets, transfers }) => {
    const result = net(obligations, { hub: 'HUB' });
    expect(Object.fromEntries(result.positions.map((p) => [p.party, p.net]))).toEqual(nets);
    expect(result.multilateralTransfers).toBe(transfers);
    expect(result.positions.reduce((s, p) => s + p.net, 0n)).toBe(0n);
  });

  it('reports gross, bilateral and multilateral value and the netting efficiency', () => {
    const result = net([o('A', 'B', 1000), o('B', 'A', 600), o('B', 'C', 400), o('C', 'A', 100)]);
    expect(result.grossValue).toBe(2100n);
    expect(result.grossTransfers).toBe(4);
    expect(result.pairs.find((p) => p.a === 'A' && p.b === 'B')?.net).toBe(400n);
    expect(result.bilateralValue).toBe(400n + 400n + 100n);
    expect(result.bilateralTransfers).toBe(3);
    // A: -1000+600+100 = -300, B: 1000-600-400 = 0, C: 400-100 = 300
    expect(result.multilateralValue).toBe(300n);
    expect(result.multilateralTransfers).toBe(2);
    expect(result.efficiency).toBeCloseTo(1 - 300 / 2100, 5);
  });

  it('adds carried-in residuals to the net', () => {
    const result = net([o('E', 'C', 100)], { carriedIn: new Map([['E', 7n], ['C', -7n]]) });
    expect(result.positions.map((p) => [p.party, p.net])).toEqual([['C', 93n], ['E', -93n]]);
  });

  it('refuses carried-in amounts that do not sum to zero', () => {
    expect(() => net([o('E', 'C', 100)], { carriedIn: new Map([['E', 7n]]) })).toThrow(NettingInvariantError);
  });
});

describe('greedyInstructions', () => {
  it.each([
    { nets: { A: -100n, B: 60n, C: 40n }, expected: [{ from: 'A', to: 'B', amount: 60n }, { from: 'A', to: 'C', amount: 40n }] },
    { nets: { A: -50n, B: -50n, C: 100n }, expected: [{ from: 'A', to: 'C', amount: 50n }, { from: 'B', to: 'C', amount: 50n }] },
    { nets: { A: 0n, B: 0n }, expected: [] },
  ])('settles $nets', ({ nets, expected }) => {
    expect(greedyInstructions(Object.entries(nets).map(([party, n]) => ({ party, net: n })))).toEqual(expected);
  });
});

const party = fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F', 'G', 'HUB');
const obligation = fc.record({ debtor: party, creditor: party, amount: fc.bigInt({ min: -1_000_000_000n, max: 1_000_000_000n }) });

describe('netting properties', () => {
  it('Σ net = 0, net = receivable − payable, greedy settles everyone in ≤ N−1 transfers moving Σ positive nets', () => {
    fc.assert(
      fc.property(fc.array(obligation, { maxLength: 60 }), (obligations) => {
        const result = net(obligations, { hub: 'HUB' });
        expect(result.positions.reduce((s, p) => s + p.net, 0n)).toBe(0n);
        for (const p of result.positions) expect(p.net).toBe(p.receivable - p.payable + p.carriedIn);
        const nonZero = result.positions.filter((p) => p.net !== 0n).length;
        expect(result.instructions.length).toBeLessThanOrEqual(Math.max(0, nonZero - 1));
        const after = new Map(result.positions.map((p) => [p.party, p.net]));
        for (const i of result.instructions) {
          expect(i.amount > 0n).toBe(true);
          after.set(i.from, after.get(i.from)! + i.amount);
          after.set(i.to, after.get(i.to)! - i.amount);
        }
        for (const v of after.values()) expect(v).toBe(0n);
        expect(result.instructions.reduce((s, i) => s + i.amount, 0n)).toBe(result.multilateralValue);
        expect(result.multilateralValue <= result.bilateralValue).toBe(true);
        expect(result.bilateralValue <= result.grossValue).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('bilateral nets equal the multilateral nets when summed per party', () => {
    fc.assert(
      fc.property(fc.array(obligation, { maxLength: 40 }), (obligations) => {
        const result = net(obligations);
        const fromPairs = new Map<string, bigint>();
        for (const p of result.pairs) {
          fromPairs.set(p.a, (fromPairs.get(p.a) ?? 0n) - p.net);
          fromPairs.set(p.b, (fromPairs.get(p.b) ?? 0n) + p.net);
        }
        for (const p of result.positions) expect(fromPairs.get(p.party) ?? 0n).toBe(p.net);
      }),
    );
  });
});
