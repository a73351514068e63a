// Pure rules of payment tracking: the balance and status of a statement, and which reminder step
// is due on a given day. Amounts are bigint units at the clearing scale (4 decimals).

export type StatementStatus = 'open' | 'partially_paid' | 'paid' | 'overdue' | 'written_off';

export interface StatementFacts {
  direction: 'party_pays' | 'hub_pays' | 'none';
  amountDue: bigint;
  charges: bigint;
  paid: bigint;
  /**
   * Refunds (disputes won after payment) this statement charges the party for, against the
   * dispute's credit, that PayPal has not paid out yet: the amount due already counts them as
   * received, so until they are, the hub owes them.
   */
  refundsPending: bigint;
  dueDate: string; // YYYY-MM-DD
  writtenOff: boolean;
}

/** What is left to pay in the statement's direction: by the party when it pays, by the hub otherwise. */
export const balanceOf = (f: Pick<StatementFacts, 'direction' | 'amountDue' | 'charges' | 'paid' | 'refundsPending'>): bigint =>
  f.amountDue + f.charges - f.paid + (f.direction === 'party_pays' ? -f.refundsPending : f.refundsPending);

/** Days from the due date to `today` (both calendar days, UTC); positive once overdue. */
export function daysPastDue(dueDate: string, today: Date): number {
  const due = Date.parse(`${dueDate}T00:00:00Z`);
  const day = Date.parse(`${today.toISOString().slice(0, 10)}T00:00:00Z`);
  return Math.round((day - due) / 86_400_000);
}

/**
 * written_off wins; nothing left to pay is paid; past the due date with a balance is overdue
 * (whether or not part was paid); otherwise partially paid or open.
 */
export function statusOf(f: StatementFacts, today: Date): StatementStatus {
  if (f.writtenOff) return 'written_off';
  const balance = balanceOf(f);
  if (balance <= 0n) return 'paid';
  if (daysPastDue(f.dueDate, today) > 0) return 'overdue';
  return f.paid > 0n ? 'partially_paid' : 'open';
}

export interface Schedule {
  reminderDays: number[];
  escalationDays: number;
}

export const DEFAULT_SCHEDULE: Schedule = { reminderDays: [3, 10, 20], escalationDays: 30 };

export interface Step {
  step: string;
  days: number;
  kind: 'reminder' | 'escalation';
}

export function stepsOf(schedule: Schedule): Step[] {
  const reminders = [...new Set(schedule.reminderDays)].filter((d) => d >= 0).sort((a, b) => a - b);
  const steps: Step[] = reminders.map((days, i) => ({ step: `reminder-${i + 1}`, days, kind: 'reminder' }));
  steps.push({ step: 'escalation', days: Math.max(schedule.escalationDays, reminders.at(-1) ?? 0), kind: 'escalation' });
  return steps;
}

/**
 * What to do today for a statement that owes money: the latest step that is due and not done is
 * fired; earlier undone steps are skipped (a worker that was down does not send three reminders
 * at once). Escalation is its own track: it fires once its day has come, whatever else happened.
 */
export function dueSteps(schedule: Schedule, daysOverdue: number, done: ReadonlySet<string>): { fire: Step[]; skip: Step[] } {
  const steps = stepsOf(schedule);
  const reminders = steps.filter((s) => s.kind === 'reminder' && s.days <= daysOverdue && !done.has(s.step));
  const fire: Step[] = [];
  const skip: Step[] = [];
  if (reminders.length) {
    fire.push(reminders[reminders.length - 1]);
    skip.push(...reminders.slice(0, -1));
  }
  const escalation = steps.find((s) => s.kind === 'escalation')!;
  if (escalation.days <= daysOverdue && !done.has(escalation.step)) fire.push(escalation);
  return { fire, skip };
}

/** The late fee: fixed plus a rate (parts per million) of the amount due, rounded down to the minor unit step. */
export function lateFee(amountDue: bigint, fixed: bigint, ppm: number, minorStep: bigint): bigint {
  const raw = fixed + (amountDue * BigInt(ppm)) / 1_000_000n;
  return (raw / minorStep) * minorStep;
}

/** How a reminder step's outcome reads for the operator (portal statement page, `hub statements show`). */
export function reminderOutcomeText(outcome: string): string {
  if (outcome === 'no_contacts') return 'not sent: no billing contacts';
  return outcome;
}
