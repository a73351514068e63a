// Settlement periods: calendar months ('2026-11') or ISO weeks ('2026-W47'), in UTC.
export type SettlementPeriod = 'WEEKLY' | 'MONTHLY';

const MONTH = /^(\d{4})-(\d{2})$/;
const WEEK = /^(\d{4})-W(\d{2})$/;

export function isPeriod(label: string): boolean {
  try {
    periodRange(label);
    return true;
  } catch {
    return false;
  }
}

export function periodOf(at: Date, kind: SettlementPeriod): string {
  if (kind === 'MONTHLY') return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
  // ISO week: the week with the year's first Thursday is week 1.
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** [start, end) of a period label. */
export function periodRange(label: string): { start: Date; end: Date; kind: SettlementPeriod } {
  const month = MONTH.exec(label);
  if (month) {
    const year = Number(month[1]);
    const m = Number(month[2]);
    if (m < 1 || m > 12) throw new RangeError(`not a period: ${label}`);
    return { start: new Date(Date.UTC(year, m - 1, 1)), end: new Date(Date.UTC(year, m, 1)), kind: 'MONTHLY' };
  }
  const week = WEEK.exec(label);
  if (week) {
    const year = Number(week[1]);
    const w = Number(week[2]);
    // Monday of ISO week 1: the week containing Jan 4th.
    const jan4 = new Date(Date.UTC(year, 0, 4));
    const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() || 7) - 1) * 86_400_000);
    const start = new Date(monday.getTime() + (w - 1) * 7 * 86_400_000);
    if (w < 1 || w > 53 || periodOf(start, 'WEEKLY') !== label) throw new RangeError(`not a period: ${label}`);
    return { start, end: new Date(start.getTime() + 7 * 86_400_000), kind: 'WEEKLY' };
  }
  throw new RangeError(`not a period: ${label} (expected YYYY-MM or YYYY-Www)`);
}

export function nextPeriod(label: string): string {
  const { end, kind } = periodRange(label);
  return periodOf(end, kind);
}
