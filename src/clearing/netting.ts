// Netting, pure. Input: gross obligations of one currency (debtor owes creditor an amount at
// scale 4). Output: gross per pair, bilateral net per pair, multilateral net per participant with
// the hub as central counterparty (one transfer per participant), and, for partners who settle
// directly, at most N-1 transfer instructions (greedy: largest debtor pays largest creditor).
// Σ net = 0 is asserted; a violation throws.
import { abs } from './money.ts';

export interface Obligation {
  debtor: string;
  creditor: string;
  amount: bigint;
}

export interface PairAmount {
  /** The pair in sorted order (a < b). */
  a: string;
  b: string;
  /** Gross owed a→b and b→a. */
  aToB: bigint;
  bToA: bigint;
  /** Bilateral net: positive means a pays b. */
  net: bigint;
}

export interface NetPosition {
  party: string;
  /** Owed to the party (gross). */
  receivable: bigint;
  /** Owed by the party (gross). */
  payable: bigint;
  carriedIn: bigint;
  /** receivable − payable + carriedIn: positive = the party receives. */
  net: bigint;
}

export interface Instruction {
  from: string;
  to: string;
  amount: bigint;
}

export interface NettingResult {
  pairs: PairAmount[];
  positions: NetPosition[];
  grossValue: bigint;
  grossTransfers: number;
  bilateralValue: bigint;
  bilateralTransfers: number;
  /** Value that moves when every participant settles its net with the centre (Σ positive nets). */
  multilateralValue: bigint;
  /** Transfers with the hub as central counterparty: one per participant with a non-zero net, the hub excluded. */
  multilateralTransfers: number;
  /** 1 − multilateralValue / grossValue (0 when there is nothing to net). */
  efficiency: number;
  /** Direct settlement between participants (hub included as a participant), at most N − 1 transfers. */
  instructions: Instruction[];
}

export class NettingInvariantError extends Error {
  override name = 'NettingInvariantError';
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function net(obligations: readonly Obligation[], options: { hub?: string; carriedIn?: ReadonlyMap<string, bigint> } = {}): NettingResult {
  const pairs = new Map<string, PairAmount>();
  const positions = new Map<string, NetPosition>();
  const position = (party: string) => {
    let p = positions.get(party);
    if (!p) positions.set(party, (p = { party, receivable: 0n, payable: 0n, carriedIn: 0n, net: 0n }));
    return p;
  };
  let grossValue = 0n;
  for (const o of obligations) {
    if (o.amount === 0n || o.debtor === o.creditor) continue;
    // A negative obligation (credits exceeding charges) is the reverse obligation.
    const [debtor, creditor, amount] = o.amount > 0n ? [o.debtor, o.creditor, o.amount] : [o.creditor, o.debtor, -o.amount];
    const [a, b] = debtor < creditor ? [debtor, creditor] : [creditor, debtor];
    const key = `${a}\u0000${b}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { a, b, aToB: 0n, bToA: 0n, net: 0n }));
    if (debtor === a) pair.aToB += amount;
    else pair.bToA += amount;
    position(debtor).payable += amount;
    position(creditor).receivable += amount;
    grossValue += amount;
  }
  for (const [party, amount] of options.carriedIn ?? []) if (amount !== 0n) position(party).carriedIn += amount;

  let grossTransfers = 0;
  let bilateralValue = 0n;
  let bilateralTransfers = 0;
  for (const pair of pairs.values()) {
    pair.net = pair.aToB - pair.bToA;
    grossTransfers += (pair.aToB > 0n ? 1 : 0) + (pair.bToA > 0n ? 1 : 0);
    if (pair.net !== 0n) {
      bilateralValue += abs(pair.net);
      bilateralTransfers += 1;
    }
  }

  let total = 0n;
  let multilateralValue = 0n;
  let multilateralTransfers = 0;
  for (const p of positions.values()) {
    p.net = p.receivable - p.payable + p.carriedIn;
    total += p.net;
    if (p.net > 0n) multilateralValue += p.net;
    if (p.net !== 0n && p.party !== options.hub) multilateralTransfers += 1;
  }
  if (total !== 0n) throw new NettingInvariantError(`net positions sum to ${total}, not 0`);

  const sortedPositions = [...positions.values()].sort((x, y) => cmp(x.party, y.party));
  return {
    pairs: [...pairs.values()].sort((x, y) => cmp(x.a, y.a) || cmp(x.b, y.b)),
    positions: sortedPositions,
    grossValue,
    grossTransfers,
    bilateralValue,
    bilateralTransfers,
    multilateralValue,
    multilateralTransfers,
    efficiency: efficiency(grossValue, multilateralValue),
    instructions: greedyInstructions(sortedPositions.map((p) => ({ party: p.party, net: p.net }))),
  };
}

export function efficiency(gross: bigint, settled: bigint): number {
  if (gross === 0n) return 0;
  // Ratio with 6 significant digits, computed in integers.
  return Number(((gross - settled) * 1_000_000n) / gross) / 1_000_000;
}

/**
 * Largest debtor pays largest creditor until everyone is square: every step zeroes at least one
 * participant, so N participants with non-zero nets need at most N − 1 transfers, and the total
 * moved is Σ positive nets (the minimum). Ties break on the party name, so the result is stable.
 */
export function greedyInstructions(nets: readonly { party: string; net: bigint }[]): Instruction[] {
  const total = nets.reduce((s, n) => s + n.net, 0n);
  if (total !== 0n) throw new NettingInvariantError(`net positions sum to ${total}, not 0`);
  const creditors = nets.filter((n) => n.net > 0n).map((n) => ({ party: n.party, left: n.net }));
  const debtors = nets.filter((n) => n.net < 0n).map((n) => ({ party: n.party, left: -n.net }));
  const order = (x: { party: string; left: bigint }, y: { party: string; left: bigint }) => (x.left === y.left ? cmp(x.party, y.party) : x.left > y.left ? -1 : 1);
  const instructions: Instruction[] = [];
  while (creditors.length && debtors.length) {
    creditors.sort(order);
    debtors.sort(order);
    const c = creditors[0];
    const d = debtors[0];
    const amount = c.left < d.left ? c.left : d.left;
    instructions.push({ from: d.party, to: c.party, amount });
    c.left -= amount;
    d.left -= amount;
    if (c.left === 0n) creditors.shift();
    if (d.left === 0n) debtors.shift();
  }
  return instructions;
}
