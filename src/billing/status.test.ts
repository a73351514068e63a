import { describe, expect, it } from 'vitest';
import { balanceOf, dueSteps, DEFAULT_SCHEDULE, lateFee, statusOf, daysPastDue, type StatementFacts } from './status.ts';

const facts = (o: Partial<StatementFacts> = {}): StatementFacts => ({ direction: 'party_pays', amountDue: 100_0000n, charges: 0n, paid: 0n, refundsPending: 0n, dueDate: '2026-12-15', writtenOff: false, ...o });
const day = (d: string) => new Date(`${d}T12:00:00Z`);

describe('statusOf', () => {
  it.each([
    ['nothing paid before the due date', facts(), '2026-12-15', 'open'],
    ['part paid before the due date', facts({ paid: 40_0000n }), '2026-12-10', 'partially_paid'],
    ['all paid', facts({ paid: 100_0000n }), '2027-01-30', 'paid'],
    ['a day late', facts(), '2026-12-16', 'overdue'],
    ['part paid and late', facts({ paid: 1n }), '2026-12-20', 'overdue'],
    ['late fee still open', facts({ paid: 100_0000n, charges: 5_0000n }), '2026-12-20', 'overdue'],
    ['written off', facts({ writtenOff: true }), '2027-03-01', 'written_off'],
    ['nothing due', facts({ direction: 'none', amountDue: 0n }), '2027-03-01', 'paid'],
    ['late, but all the party owes was paid while a refund it is charged for has not reached it', facts({ paid: 70_0000n, refundsPending: 30_0000n }), '2027-01-30', 'paid'],
    ['late, part owed beside a refund on its way', facts({ paid: 50_0000n, refundsPending: 30_0000n }), '2026-12-20', 'overdue'],
    ['the hub pays, and a refund is still on its way', facts({ direction: 'hub_pays', amountDue: 20_0000n, paid: 20_0000n, refundsPending: 5_0000n }), '2026-12-10', 'partially_paid'],
    ['nothing due, but a refund is still on its way', facts({ direction: 'none', amountDue: 0n, refundsPending: 5_0000n }), '2026-12-10', 'open'],
  ] as const)('%s → %s', (_what, f, today, expected) => {
    expect(statusOf(f, day(today))).toBe(expected);
  });
});

describe('balanceOf', () => {
  it.each([
    ['a payer, nothing paid', facts(), 100_0000n],
    ['a payer with a late fee, part paid', facts({ charges: 5_0000n, paid: 40_0000n }), 65_0000n],
    ['a payer owes less while a refund it is charged for is on its way', facts({ refundsPending: 30_0000n }), 70_0000n],
    ['a payer that paid the whole statement before its refund came is owed the refund', facts({ paid: 100_0000n, refundsPending: 30_0000n }), -30_0000n],
    ['the hub owes the payout and the refund on its way', facts({ direction: 'hub_pays', amountDue: 20_0000n, refundsPending: 5_0000n }), 25_0000n],
    ['the hub paid out; the refund is still on its way', facts({ direction: 'hub_pays', amountDue: 20_0000n, paid: 20_0000n, refundsPending: 5_0000n }), 5_0000n],
  ] as const)('%s → %s', (_what, f, expected) => {
    expect(balanceOf(f)).toBe(expected);
  });
});

describe('dueSteps (default 3, 10, 20 days, escalation at 30)', () => {
  it.each([
    [2, [], [], []],
    [3, [], ['reminder-1'], []],
    [9, ['reminder-1'], [], []],
    [10, ['reminder-1'], ['reminder-2'], []],
    [25, [], ['reminder-3'], ['reminder-1', 'reminder-2']],
    [30, ['reminder-1', 'reminder-2', 'reminder-3'], ['escalation'], []],
    [45, ['reminder-1', 'reminder-2', 'reminder-3', 'escalation'], [], []],
  ] as const)('%i days overdue, done %j → fire %j, skip %j', (days, done, fire, skip) => {
    const out = dueSteps(DEFAULT_SCHEDULE, days, new Set(done));
    expect(out.fire.map((s) => s.step)).toEqual(fire);
    expect(out.skip.map((s) => s.step)).toEqual(skip);
  });
});

describe('lateFee and daysPastDue', () => {
  it('fixed plus percent, down to the cent', () => {
    expect(lateFee(123_4567n, 5_0000n, 20_000, 100n)).toBe(7_4600n); // 5 + 2 % of 123.4567 = 7.469134 → 7.46
    expect(lateFee(100_0000n, 0n, 0, 100n)).toBe(0n);
  });
  it('counts calendar days', () => {
    expect(daysPastDue('2026-12-15', new Date('2026-12-18T23:59:00Z'))).toBe(3);
    expect(daysPastDue('2026-12-15', new Date('2026-12-15T00:00:00Z'))).toBe(0);
  });
});
