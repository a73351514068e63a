// The landing page: for a partner, what it owes or is owed, and revenue and CDR counts per month
// as small charts; for an operator, what needs attention across the hub.
import type Router from '@koa/router';
import { html } from '../html.ts';
import { render, requireUser, state } from '../context.ts';
import { barChart } from '../chart.ts';
import { ensureTracked, isZeroAmount, listAccounts } from '../../billing/tracking.ts';
import { formatMoney } from '../../clearing/money.ts';
import { statementsTable } from './statements.ts';

export async function monthlySeries(db: any, parties: string[]) {
  // The 12 latest months with bookings, in the currency with the most CDRs; months in UTC, not in
  // the database server's own time zone.
  const rows: { month: string; currency: string; cdrs: string; revenue: string; cost: string }[] = (
    await db.raw(
      `SELECT to_char(end_date_time AT TIME ZONE 'UTC', 'YYYY-MM') AS month, currency,
              count(*) AS cdrs,
              COALESCE(sum(amount) FILTER (WHERE cpo = ANY(?::text[])), 0) AS revenue,
              COALESCE(sum(amount) FILTER (WHERE emsp = ANY(?::text[])), 0) AS cost
         FROM clearing_bookings
        WHERE (cpo = ANY(?::text[]) OR emsp = ANY(?::text[])) AND status IN ('booked', 'disputed')
        GROUP BY 1, 2 ORDER BY 1 DESC`,
      [parties, parties, parties, parties],
    )
  ).rows;
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.currency.trim(), (counts.get(r.currency.trim()) ?? 0) + Number(r.cdrs));
  const currency = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'EUR';
  const months = rows.filter((r) => r.currency.trim() === currency).slice(0, 12).reverse();
  return {
    currency,
    months: months.map((m) => ({ month: m.month, cdrs: Number(m.cdrs), revenue: formatMoney(BigInt(m.revenue), currency), cost: formatMoney(BigInt(m.cost), currency) })),
  };
}

export function homeRoutes(router: Router) {
  router.get('/', async function home(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const db = s.deps.db;
    await ensureTracked(db);
    if (user.isAdmin) {
      const [dead, overdue, disputes, cycles, partners] = await Promise.all([
        db('dead_letters').whereNull('replayed_at').count({ n: '*' }).first(),
        listAccounts(db, { status: 'overdue' }),
        db('clearing_disputes').where({ status: 'open' }).count({ n: '*' }).first(),
        db('clearing_cycles').whereNot({ state: 'settled' }).count({ n: '*' }).first(),
        db('parties').count({ n: '*' }).first(),
      ]);
      const reviews = (await db.raw("SELECT to_regclass('review_items') IS NOT NULL AS present")).rows[0].present ? await db('review_items').where({ status: 'open' }).count({ n: '*' }).first() : { n: 0 };
      const tile = (label: string, value: unknown, href: string) => html`<a class="card" href="${href}"><strong class="big">${String(value)}</strong><br>${label}</a>`;
      render(
        ctx,
        'Operator overview',
        html`<div class="grid">${tile('parties', partners?.n ?? 0, '/portal/ops/partners')}${tile('dead letters waiting', dead?.n ?? 0, '/portal/ops/deliveries')}${tile('cycles not settled', cycles?.n ?? 0, '/portal/ops/cycles')}${tile('overdue statements', overdue.length, '/portal/statements?status=overdue')}${tile('open disputes', disputes?.n ?? 0, '/portal/disputes')}${tile('anomalies to review', reviews?.n ?? 0, '/portal/ops/reviews')}</div>
<h2>Overdue statements</h2>${statementsTable(overdue.slice(0, 20), true)}`,
        '/portal',
      );
      return;
    }
    const [accounts, series] = await Promise.all([listAccounts(db, { parties: user.parties }), monthlySeries(db, user.parties)]);
    // A CPO sees its revenue; a party that only roams as eMSP sees what its customers' charging cost.
    const asCpo = series.months.some((m) => !isZeroAmount(m.revenue)) || !series.months.some((m) => !isZeroAmount(m.cost));
    const valueTitle = asCpo ? 'Revenue per month' : 'Charges per month';
    const open = accounts.filter((a) => a.direction === 'party_pays' && !['paid', 'written_off'].includes(a.status));
    render(
      ctx,
      `Welcome${user.name ? `, ${user.name}` : ''}`,
      html`<div class="grid">
<section class="card" aria-labelledby="owe-h"><h2 id="owe-h">To pay</h2>${open.length ? html`<ul>${open.map((a) => html`<li><a href="/portal/statements/${encodeURIComponent(a.statement_id)}">${a.statement_id}</a>: ${a.balance} ${a.currency}, due ${a.due_date} <span class="badge ${a.status}">${a.status.replace('_', ' ')}</span></li>`)}</ul>` : html`<p>Nothing open. Thank you.</p>`}</section>
<section class="card" aria-labelledby="chart-h"><h2 id="chart-h">CDRs per month</h2>${barChart('CDRs per month', series.months.map((m) => ({ label: m.month, value: m.cdrs })), { unit: 'CDRs' })}</section>
<section class="card" aria-labelledby="rev-h"><h2 id="rev-h">${valueTitle} (${series.currency})</h2>${barChart(`${valueTitle} in ${series.currency}`, series.months.map((m) => ({ label: m.month, value: Number(asCpo ? m.revenue : m.cost) })), { unit: series.currency, color: '#2f855a' })}</section>
</div>
<details><summary>The numbers behind the charts</summary><div class="table-wrap"><table><thead><tr><th scope="col">Month</th><th scope="col" class="num">CDRs</th><th scope="col" class="num">Revenue as CPO</th><th scope="col" class="num">Cost as eMSP</th></tr></thead><tbody>${series.months.map((m) => html`<tr><td>${m.month}</td><td class="num">${m.cdrs}</td><td class="num">${m.revenue}</td><td class="num">${m.cost}</td></tr>`)}</tbody></table></div></details>
<h2>Latest statements</h2>${statementsTable(accounts.slice(0, 10), user.parties.length > 1)}`,
      '/portal',
    );
  });
}
