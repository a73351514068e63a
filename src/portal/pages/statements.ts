// Statements: list (own parties, or all for operators), detail with payment status, pay link,
// history, downloads (PDF, CSV); operators record bank transfers and write off.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html, seg } from '../html.ts';
import { statementAmount, utcMinute } from '../format.ts';
import { assertParty, audit, missing, redirect, render, requireAdmin, requireUser, scopeOf, state } from '../context.ts';
import { accountHistory, ensureTracked, getAccount, listAccounts, isZeroAmount, recordBankTransfer, writeOff, type StatementAccount } from '../../billing/tracking.ts';
import { getStatement, statementCsv } from '../../clearing/statements.ts';
import { statementPdf } from '../../clearing/statementPdf.ts';
import { ClearingError } from '../../clearing/errors.ts';
import { bankTransferOpen } from '../../billing/bankTransfer.ts';
import { reminderOutcomeText } from '../../billing/status.ts';
import { pageOf, pager } from '../paging.ts';

const STATUSES = ['open', 'partially_paid', 'overdue', 'paid', 'written_off'] as const;
/** Statements per page of the statement list. */
export const STATEMENT_PAGE = 100;
export const badge = (value: string) => html`<span class="badge ${value}">${value.replace(/_/g, ' ')}</span>`;

export function statementsTable(accounts: StatementAccount[], showParty: boolean) {
  if (accounts.length === 0) return html`<p class="muted">No statements yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Statement</th>${showParty ? html`<th scope="col">Party</th>` : ''}<th scope="col">Period</th><th scope="col" class="hide-sm">Direction</th><th scope="col">Due</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance</th><th scope="col">Status</th></tr></thead>
<tbody>${accounts.map(
    (a) => html`<tr><td><a href="/portal/statements/${seg(a.statement_id)}">${a.statement_id}</a></td>${showParty ? html`<td>${a.party}</td>` : ''}<td>${a.period}</td><td class="hide-sm">${a.direction === 'party_pays' ? 'you pay' : a.direction === 'hub_pays' ? 'hub pays you' : 'nothing due'}</td><td>${a.due_date}</td><td class="num">${a.amount_due} ${a.currency}</td><td class="num">${a.balance} ${a.currency}</td><td>${badge(a.status)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** How to pay what is open: PayPal takes the statement's amount (a late fee goes by bank transfer). */
function payment(a: StatementAccount, method: string | undefined) {
  if (a.direction !== 'party_pays' || a.status === 'paid' || a.status === 'written_off') return '';
  if (method === 'bank_transfer') return html`<p>Pay ${a.balance} ${a.currency} by bank transfer quoting ${a.statement_id} (PayPal does not take ${a.currency}).</p>`;
  if (a.pay_url && /^https?:\/\//.test(a.pay_url)) {
    return html`<p><a class="button" href="${a.pay_url}" rel="noopener noreferrer">Pay ${a.amount_due} ${a.currency} with PayPal</a></p>${isZeroAmount(a.charges) ? '' : html`<p class="muted">The late fee of ${a.charges} ${a.currency} is paid by bank transfer quoting ${a.statement_id}.</p>`}`;
  }
  if (!isZeroAmount(a.paid)) return html`<p>Pay the balance of ${a.balance} ${a.currency} by bank transfer quoting ${a.statement_id}.</p>`;
  return html`<p class="muted">The PayPal link appears here once the settlement run has created it. You can also pay by bank transfer quoting ${a.statement_id}.</p>`;
}

async function accountFor(ctx: Context, id: string) {
  const s = state(ctx);
  const user = requireUser(ctx);
  await ensureTracked(s.deps.db);
  let account: StatementAccount;
  try {
    account = await getAccount(s.deps.db, id);
  } catch (err) {
    if (err instanceof ClearingError && err.code === 'not_found') throw missing('statement');
    throw err;
  }
  assertParty(user, account.party);
  return account;
}

export function statementRoutes(router: Router) {
  router.get('/statements', async function statements(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    await ensureTracked(s.deps.db);
    const status = STATUSES.find((x) => x === ctx.query.status);
    const cycle = typeof ctx.query.cycle === 'string' && /^[0-9a-f-]{36}$/i.test(ctx.query.cycle) ? ctx.query.cycle : undefined;
    // Newest first, a page at a time: `before` is the id of the last statement of the previous page.
    const before = typeof ctx.query.before === 'string' && ctx.query.before.length <= 200 ? ctx.query.before : undefined;
    const { rows, more } = pageOf(await listAccounts(s.deps.db, { parties: scopeOf(user), status, cycle, before, limit: STATEMENT_PAGE + 1 }), STATEMENT_PAGE);
    const filters = new URLSearchParams({ ...(status && { status }), ...(cycle && { cycle }) }).toString();
    const nav = pager({ label: 'Statement pages', path: `/portal/statements${filters ? `?${filters}` : ''}`, before, olderBefore: more ? rows.at(-1)!.statement_id : undefined, newest: 'Newest statements', older: 'Older statements' });
    render(
      ctx,
      'Statements',
      html`<form method="get" action="/portal/statements" class="card"><label for="status">Status</label><select id="status" name="status"><option value="">all</option>${STATUSES.map((x) => html`<option value="${x}"${status === x ? html` selected` : ''}>${x.replace('_', ' ')}</option>`)}</select> <button type="submit" class="secondary">Filter</button></form>
${rows.length || !before ? statementsTable(rows, user.isAdmin || user.parties.length > 1) : html`<p class="muted">No older statements.</p>`}${nav}`,
      '/portal/statements',
    );
  });

  router.get('/statements/:id', async function statement(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const a = await accountFor(ctx, ctx.params.id);
    const [content, history] = await Promise.all([getStatement(s.deps.db, a.statement_id), accountHistory(s.deps.db, a.statement_id)]);
    const id = seg(a.statement_id);
    const money = (value: string) => statementAmount(value, a.currency);
    render(
      ctx,
      `Statement ${a.statement_id}`,
      html`<div class="grid">
<section class="card" aria-labelledby="pay-h"><h2 id="pay-h">Payment</h2>
<dl class="facts"><dt>Status</dt><dd>${badge(a.status)}</dd><dt>Party</dt><dd>${a.party_name ?? ''} ${a.party}</dd><dt>Period</dt><dd>${a.period}</dd><dt>Issued</dt><dd>${a.issued_at.slice(0, 10)}</dd><dt>Due</dt><dd>${a.due_date}${a.days_past_due > 0 && a.status === 'overdue' ? html` <span class="muted">(${a.days_past_due} days ago)</span>` : ''}</dd>
<dt>${a.direction === 'hub_pays' ? 'The hub pays you' : 'Amount due'}</dt><dd>${a.amount_due} ${a.currency}</dd>${!isZeroAmount(a.charges) ? html`<dt>Late fee</dt><dd>${a.charges} ${a.currency}</dd>` : ''}<dt>Paid</dt><dd>${a.paid} ${a.currency}</dd>${!isZeroAmount(a.refunded) ? html`<dt>Refunded</dt><dd>${a.refunded} ${a.currency} <span class="muted">(disputes won; netted on a later statement)</span></dd>` : ''}${!isZeroAmount(a.refunds_pending) ? html`<dt>Refunds on their way</dt><dd>${a.refunds_pending} ${a.currency} <span class="muted">(not counted against you until PayPal has paid them)</span></dd>` : ''}<dt>Balance</dt><dd><strong>${a.balance} ${a.currency}</strong></dd></dl>
${payment(a, content.settlement.method)}
</section>
<section class="card" aria-labelledby="dl-h"><h2 id="dl-h">Documents</h2>
<p><a class="button" href="/portal/statements/${id}/pdf" download>Download PDF</a> <a class="button secondary" href="/portal/statements/${id}/csv" download>Download CSV</a></p>
<dl class="facts"><dt>Net position</dt><dd>${money(content.totals.net)} ${a.currency}</dd><dt>Hub fees</dt><dd>${money(content.totals.hub_fees)} ${a.currency}</dd><dt>VAT owed to you (as CPO)</dt><dd>${money(content.totals.vat_receivable)} ${a.currency}</dd><dt>VAT you owe (as eMSP)</dt><dd>${money(content.totals.vat_payable)} ${a.currency}</dd><dt>Net VAT</dt><dd>${money(content.totals.vat_net)} ${a.currency}</dd><dt>Carried forward</dt><dd>${money(content.totals.carry_out)} ${a.currency}</dd></dl>
</section></div>
<h2>Per counterparty</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Counterparty</th><th scope="col">Role</th><th scope="col" class="num">CDRs</th><th scope="col" class="num hide-sm">kWh</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Hub fee</th><th scope="col" class="num">Net</th></tr></thead>
<tbody>${content.counterparties.map((l) => html`<tr><td>${l.counterparty_name ?? ''} ${l.counterparty}</td><td>${l.role}</td><td class="num">${l.cdr_count}</td><td class="num hide-sm">${l.energy_kwh}</td><td class="num">${money(l.amount)}</td><td class="num">${money(l.hub_fee)}</td><td class="num">${money(l.net)}</td></tr>`)}</tbody></table></div>
<h2>Payments received</h2>
${history.payments.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Received</th><th scope="col">How</th><th scope="col">Reference</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${history.payments.map((p) => html`<tr><td>${p.received_at.slice(0, 10)}</td><td>${p.method.replace('_', ' ')}</td><td>${p.reference}</td><td class="num">${p.amount} ${a.currency}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">None yet.</p>`}
${history.refunds.length ? html`<h2>Refunds</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">CDR</th><th scope="col">Refund</th><th scope="col">State</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${history.refunds.map((r) => html`<tr><td>${r.cdr}</td><td>${r.relation === 'of_payment' ? html`of this statement's payment; netted on ${r.netted_on_statement ?? 'the next statement'}` : html`of the payment on ${r.paid_with_statement}; netted here`}</td><td>${badge(r.state)}</td><td class="num">${r.amount} ${a.currency}</td></tr>`)}</tbody></table></div>` : ''}
<h2>Reminders and emails</h2>
${history.messages.length || history.reminders.length ? html`<ul>${history.reminders.map((r) => html`<li>${r.at.slice(0, 10)}: ${r.step} (${r.days_after_due} days after due) ${reminderOutcomeText(r.outcome)}</li>`)}${history.messages.map((m) => html`<li>${utcMinute(m.sent_at ?? m.created_at)}: ${m.kind} to ${m.recipient} ${badge(m.status)}</li>`)}</ul>` : html`<p class="muted">No emails sent yet.</p>`}
${user.isAdmin && bankTransferOpen(a)
  ? html`<div class="grid"><form method="post" action="/portal/statements/${id}/payments" class="card" aria-labelledby="bank-h"><h2 id="bank-h">${a.direction === 'hub_pays' ? "Record the hub's bank transfer" : 'Record a bank transfer'}</h2><input type="hidden" name="_csrf" value="${s.csrf}">
<label for="amount">Amount (${a.currency})</label><input id="amount" name="amount" type="text" inputmode="decimal" required value="${a.balance}">
<label for="reference">Bank reference</label><input id="reference" name="reference" type="text" required maxlength="200">
<label for="received">${a.direction === 'hub_pays' ? 'Paid on' : 'Received on'}</label><input id="received" name="received" type="date" value="${new Date().toISOString().slice(0, 10)}">
<button type="submit">Record payment</button></form>
${a.direction === 'party_pays' ? html`<form method="post" action="/portal/statements/${id}/write-off" class="card" aria-labelledby="wo-h"><h2 id="wo-h">Write off</h2><input type="hidden" name="_csrf" value="${s.csrf}"><label for="note">Reason</label><input id="note" name="note" type="text" required maxlength="500"><button type="submit" class="danger">Write off ${a.balance} ${a.currency}</button></form>` : ''}</div>`
  : ''}`,
      '/portal/statements',
    );
  });

  router.get('/statements/:id/pdf', async function pdf(ctx) {
    const s = state(ctx);
    const a = await accountFor(ctx, ctx.params.id);
    const body = await statementPdf(s.deps.db, a.statement_id);
    await audit(ctx, 'statement.download', a.statement_id, { format: 'pdf' });
    ctx.type = 'application/pdf';
    ctx.attachment(`${a.statement_id}.pdf`);
    ctx.body = body;
  });

  router.get('/statements/:id/csv', async function csv(ctx) {
    const s = state(ctx);
    const a = await accountFor(ctx, ctx.params.id);
    const chunks: string[] = [];
    for await (const chunk of statementCsv(s.deps.db, a.statement_id)) chunks.push(chunk);
    await audit(ctx, 'statement.download', a.statement_id, { format: 'csv' });
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`${a.statement_id}.csv`);
    ctx.body = chunks.join('');
  });

  router.post('/statements/:id/payments', async function recordPayment(ctx) {
    const s = state(ctx);
    const user = requireAdmin(ctx);
    const a = await accountFor(ctx, ctx.params.id);
    const received = s.form.received && /^\d{4}-\d{2}-\d{2}$/.test(s.form.received) ? new Date(`${s.form.received}T12:00:00Z`) : new Date();
    await recordBankTransfer(s.deps.db, { statementId: a.statement_id, amount: s.form.amount ?? '', reference: s.form.reference ?? '', receivedAt: received, actor: `portal:${user.email}` });
    await audit(ctx, 'statement.payment', a.statement_id, { amount: s.form.amount, reference: s.form.reference });
    redirect(ctx, `/portal/statements/${seg(a.statement_id)}?done=payment`);
  });

  router.post('/statements/:id/write-off', async function writeOffStatement(ctx) {
    const s = state(ctx);
    const user = requireAdmin(ctx);
    const a = await accountFor(ctx, ctx.params.id);
    await writeOff(s.deps.db, { statementId: a.statement_id, actor: `portal:${user.email}`, note: s.form.note ?? '' });
    await audit(ctx, 'statement.write_off', a.statement_id, { note: s.form.note });
    redirect(ctx, `/portal/statements/${seg(a.statement_id)}?done=writeoff`);
  });
}
