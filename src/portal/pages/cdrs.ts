// CDRs of the user's parties (as CPO: their own; as eMSP: those routed to them) with the
// validation findings and the hub's price breakdown, and disputes: open one on a booked CDR
// within the agreement's window, follow it; operators resolve.
import type Router from '@koa/router';
import { pageOf, pager } from '../paging.ts';
import type { Context } from 'koa';
import { html, seg } from '../html.ts';
import { utcMinute, utcSecond } from '../format.ts';
import { checkPrice, type PriceCheck } from '../priceCheck.ts';
import { assertParty, audit, missing, redirect, render, requireAdmin, requireUser, scopeOf, state } from '../context.ts';
import { badge } from './statements.ts';
import { describeCdr } from '../../hub/describeCdr.ts';
import { openDispute, resolveAndRefund } from '../../clearing/disputes.ts';
import { bookingIdentity } from '../../clearing/booking.ts';
import { listRefunds, type Refund } from '../../clearing/refunds.ts';
import type { PortalUser } from '../auth.ts';
import { NotFoundError } from '../../errors.ts';

interface Finding {
  severity?: string;
  rule?: string;
  message?: string;
  path?: string;
}

function scopeCdrs(q: any, parties: string[] | undefined) {
  if (!parties) return q;
  return q.where((w: any) => {
    w.whereIn('receiver', parties.length ? parties : ['-']);
    w.orWhereRaw("upper(country_code) || '-' || upper(party_id) = ANY(?::text[])", [parties]);
  });
}

const REFUND_STATE: Record<Refund['state'], string> = {
  created: 'not sent yet: the hub retries until PayPal takes it',
  pending: 'sent; PayPal has not completed it yet',
  completed: 'refunded to the PayPal payment',
  failed: 'PayPal refused it; the amount is credited on the next statement instead',
};

/**
 * The refund of a dispute won after payment, for the operators and the eMSP it goes to (what the
 * eMSP was charged, hub fee included, is not the CPO's business). PayPal's error text is the
 * operators' to read.
 */
function refundSection(refund: Refund | undefined, user: PortalUser) {
  if (!refund || !(user.isAdmin || user.parties.includes(refund.party))) return '';
  const statement = (id: string | null) => (id ? html`<a href="/portal/statements/${seg(id)}">${id}</a>` : html`<span class="muted">the next statement, once issued</span>`);
  return html`<section class="card" aria-labelledby="refund-h"><h2 id="refund-h">Refund</h2><dl class="facts">
<dt>Amount</dt><dd>${refund.amount} ${refund.currency}</dd><dt>State</dt><dd>${badge(refund.state)} ${REFUND_STATE[refund.state]}</dd>
<dt>Paid with</dt><dd>${statement(refund.statement_id)} (PayPal capture ${refund.capture_id})</dd><dt>Netted on</dt><dd>${statement(refund.netted_on_statement)}</dd>
${refund.paypal_refund_id ? html`<dt>PayPal refund</dt><dd>${refund.paypal_refund_id}${refund.completed_at ? html` on ${refund.completed_at.slice(0, 10)}` : ''}</dd>` : ''}
${user.isAdmin && refund.error ? html`<dt>Last error</dt><dd>${refund.error} <span class="muted">(${refund.attempts} attempts)</span></dd>` : ''}</dl></section>`;
}

/** The list's total incl. VAT; a CDR that gives none shows its total excl. VAT, saying so. */
function totalCell(data: Record<string, any> | null) {
  const cost = data?.total_cost ?? {};
  if (cost.incl_vat != null) return `${cost.incl_vat} ${data?.currency ?? ''}`;
  if (cost.excl_vat != null) return html`${cost.excl_vat} ${data?.currency ?? ''} <span class="muted">excl. VAT</span>`;
  return '';
}

/** Says whether the breakdown below adds up to the charge, before the reader takes it for its explanation. */
function priceVerdict(check: PriceCheck | undefined, currency: unknown) {
  if (!check) return '';
  if (check.agrees) return html`<p>The hub's computation below agrees with what the CDR charges (${check.charged.excl_vat} ${currency} excl. VAT).</p>`;
  return html`<p class="flash error" role="note">The hub's computation below does not add up to what the CDR charges: the hub computes ${check.computed.excl_vat} excl. VAT / ${check.computed.incl_vat} incl. VAT from the tariff as it knows it now, the CDR charges ${check.charged.excl_vat} excl. VAT / ${check.charged.incl_vat ?? '-'} incl. VAT (${check.difference.replace(/^-/, '')} ${currency} ${check.difference.startsWith('-') ? 'less' : 'more'} excl. VAT).</p>`;
}

/** CDRs per page of the CDR list, disputes per page of the dispute list. */
const CDR_PAGE = 200;
const DISPUTE_PAGE = 300;

const cdrHref = (cc: string, pid: string, id: string) => `/portal/cdrs/${seg(cc.toUpperCase())}/${seg(pid.toUpperCase())}/${seg(id)}`;

async function bookingOf(ctx: Context, cc: string, pid: string, id: string) {
  return state(ctx)
    .deps.db('clearing_bookings as b')
    .leftJoin('clearing_agreements as a', 'a.id', 'b.agreement_id')
    .leftJoin('clearing_cycles as c', 'c.id', 'b.cycle_id')
    .where(bookingIdentity('b', { country_code: cc, party_id: pid, id }))
    .first('b.id', 'b.cpo', 'b.emsp', 'b.status', 'b.end_date_time', 'b.amount', 'b.currency', 'a.dispute_window_days', 'c.period', 'c.state as cycle_state');
}

export function cdrRoutes(router: Router) {
  router.get('/cdrs', async function cdrs(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    // Newest first, a page at a time: `before` is the seq of the last CDR of the previous page.
    const before = typeof ctx.query.before === 'string' && /^\d{1,18}$/.test(ctx.query.before) ? ctx.query.before : undefined;
    const q = scopeCdrs(s.deps.db('cdrs'), scopeOf(user)).orderBy([{ column: 'last_updated', order: 'desc' }, { column: 'seq', order: 'desc' }]).limit(CDR_PAGE + 1);
    if (before) q.whereRaw('(last_updated, seq) < (SELECT last_updated, seq FROM cdrs WHERE seq = ?)', [before]);
    const found: any[] = await q.select('seq', 'country_code', 'party_id', 'cdr_id', 'receiver', 'validation', 'data', 'last_updated');
    const { rows, more } = pageOf(found, CDR_PAGE);
    const nav = pager({ label: 'CDR pages', path: '/portal/cdrs', before, olderBefore: more ? String(rows.at(-1).seq) : undefined, newest: 'Newest CDRs', older: 'Older CDRs' });
    render(
      ctx,
      'CDRs',
      rows.length
        ? html`<p class="muted">${before ? `${rows.length} older CDRs` : `The latest ${rows.length} CDRs`}. Open one to see why it costs what it costs, and to dispute it.</p><div class="table-wrap"><table><thead><tr><th scope="col">CDR</th><th scope="col">CPO</th><th scope="col" class="hide-sm">eMSP</th><th scope="col">Ended</th><th scope="col" class="num">Total (incl. VAT)</th><th scope="col">Findings</th></tr></thead><tbody>${rows.map((r: any) => {
            const findings = (r.validation ?? []) as Finding[];
            return html`<tr><td><a href="${cdrHref(r.country_code, r.party_id, r.cdr_id)}">${r.cdr_id}</a></td><td>${r.country_code}-${r.party_id}</td><td class="hide-sm">${r.receiver ?? '-'}</td><td>${r.data?.end_date_time ? utcMinute(r.data.end_date_time) : ''}</td><td class="num">${totalCell(r.data)}</td><td>${findings.length ? badge(`${findings.length} finding${findings.length > 1 ? 's' : ''}`) : html`<span class="muted">none</span>`}</td></tr>`;
          })}</tbody></table></div>${nav}`
        : before
          ? html`<p class="muted">No older CDRs.</p>${nav}`
          : html`<p class="muted">No CDRs yet.</p>`,
      '/portal/cdrs',
    );
  });

  router.get('/cdrs/:cc/:pid/:id', async function cdr(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const { cc, pid, id } = ctx.params;
    let d: Awaited<ReturnType<typeof describeCdr>>;
    try {
      d = await describeCdr(s.deps, cc, pid, id);
    } catch (err) {
      if (err instanceof NotFoundError) throw missing('CDR');
      throw err;
    }
    assertParty(user, `${cc}-${pid}`, d.receiver);
    const booking = await bookingOf(ctx, cc, pid, id);
    const disputes = booking ? await s.deps.db('clearing_disputes').where({ booking_id: booking.id }).orderBy('opened_at').select('id', 'status', 'reason', 'opened_at', 'opened_by') : [];
    const findings = (d.validation ?? []) as Finding[];
    const data = d.cdr as Record<string, any>;
    const deadline = booking && booking.dispute_window_days != null ? new Date(new Date(booking.end_date_time).getTime() + booking.dispute_window_days * 86_400_000) : null;
    const mine = booking ? [booking.emsp, booking.cpo].filter((p: string | null) => p && (user.isAdmin || user.parties.includes(p))) : [];
    const canDispute = booking && ['booked', 'disputed'].includes(booking.status) && !disputes.some((x: any) => x.status === 'open') && mine.length > 0;
    const price = d.hub_price as { explanation: string; result: { total_cost?: { excl_vat: number; incl_vat: number } } } | { error: string } | null;
    const check = price && 'explanation' in price ? checkPrice(price.result?.total_cost, data.total_cost, data.credit === true) : undefined;
    render(
      ctx,
      `CDR ${id}`,
      html`<div class="grid"><section class="card" aria-labelledby="facts-h"><h2 id="facts-h">Charging session</h2><dl class="facts">
<dt>CPO</dt><dd>${cc.toUpperCase()}-${pid.toUpperCase()}</dd><dt>eMSP</dt><dd>${d.receiver ?? '-'}</dd><dt>Start</dt><dd>${utcSecond(data.start_date_time)}</dd><dt>End</dt><dd>${utcSecond(data.end_date_time)}</dd>
<dt>Energy</dt><dd>${data.total_energy} kWh</dd><dt>Charged</dt><dd>${data.total_cost?.excl_vat ?? ''} excl. VAT, ${data.total_cost?.incl_vat ?? '-'} incl. VAT ${data.currency}</dd>
<dt>Location</dt><dd>${data.cdr_location?.address ?? ''} ${data.cdr_location?.city ?? ''}</dd>
<dt>Clearing</dt><dd>${booking ? html`${badge(booking.status)} in ${booking.period ?? '-'} (${booking.cycle_state ?? '-'})` : html`<span class="muted">not booked</span>`}</dd></dl></section>
<section class="card" aria-labelledby="find-h"><h2 id="find-h">Validation findings</h2>${findings.length ? html`<ul>${findings.map((f) => html`<li>${badge(f.severity ?? 'info')} <strong>${f.rule ?? ''}</strong> ${f.message ?? ''}${f.path ? html` <span class="muted">(${f.path})</span>` : ''}</li>`)}</ul>` : html`<p class="muted">No findings: the CDR passed every check.</p>`}</section></div>
<h2>Why was I charged this?</h2>
${price === null ? html`<p class="muted">No tariff is known for this CDR, so the hub cannot recompute its price.</p>` : 'error' in price ? html`<p>The hub could not recompute the price: ${price.error}</p>` : html`${priceVerdict(check, data.currency)}<pre class="explain" tabindex="0" aria-label="Price breakdown">${price.explanation}</pre>`}
<h2>Disputes</h2>
${disputes.length ? html`<ul>${disputes.map((x: any) => html`<li><a href="/portal/disputes/${seg(x.id)}">${new Date(x.opened_at).toISOString().slice(0, 10)}: ${x.reason}</a> ${badge(x.status)}</li>`)}</ul>` : html`<p class="muted">No disputes on this CDR.</p>`}
${canDispute
  ? html`<form method="post" action="${cdrHref(cc, pid, id)}/dispute" class="card" aria-labelledby="disp-h"><h2 id="disp-h">Open a dispute</h2><input type="hidden" name="_csrf" value="${s.csrf}">
${deadline ? html`<p class="muted">Disputes are accepted until ${utcMinute(deadline)} (${booking.dispute_window_days} days after the session ended).</p>` : ''}
${mine.length > 1 ? html`<label for="as">Dispute as</label><select id="as" name="as">${mine.map((p: string) => html`<option>${p}</option>`)}</select>` : html`<input type="hidden" name="as" value="${mine[0]}">`}
<label for="reason">What is wrong?</label><textarea id="reason" name="reason" rows="3" required maxlength="1000"></textarea>
<button type="submit">Open dispute</button></form>`
  : ''}`,
      '/portal/cdrs',
    );
  });

  router.post('/cdrs/:cc/:pid/:id/dispute', async function dispute(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    const { cc, pid, id } = ctx.params;
    const booking = await bookingOf(ctx, cc, pid, id);
    if (!booking) throw missing('CDR in clearing');
    assertParty(user, booking.cpo, booking.emsp);
    const as = (s.form.as ?? '').toUpperCase();
    if (![booking.cpo, booking.emsp].includes(as) || (!user.isAdmin && !user.parties.includes(as))) throw missing('party');
    const opened = await openDispute(s.deps.db, { cdr: { country_code: cc, party_id: pid, id }, opened_by: as, reason: s.form.reason ?? '', evidence: [{ type: 'portal', by: user.email }] });
    await audit(ctx, 'dispute.open', opened.id, { cdr: `${cc}-${pid}-${id}`, as });
    redirect(ctx, `/portal/disputes/${seg(opened.id)}?done=dispute`);
  });

  router.get('/disputes', async function disputes(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    // Newest first, a page at a time: `before` is the id of the last dispute of the previous page.
    const before = typeof ctx.query.before === 'string' && /^[0-9a-f-]{36}$/i.test(ctx.query.before) ? ctx.query.before : undefined;
    const q = s.deps.db('clearing_disputes as d').join('clearing_bookings as b', 'b.id', 'd.booking_id').orderBy([{ column: 'd.opened_at', order: 'desc' }, { column: 'd.id', order: 'desc' }]).limit(DISPUTE_PAGE + 1).select('d.id', 'd.status', 'd.reason', 'd.opened_at', 'd.opened_by', 'b.country_code', 'b.party_id', 'b.cdr_id', 'b.cpo', 'b.emsp');
    const parties = scopeOf(user);
    if (parties) q.where((w) => w.whereIn('b.cpo', parties).orWhereIn('b.emsp', parties));
    if (before) q.whereRaw('(d.opened_at, d.id) < (SELECT opened_at, id FROM clearing_disputes WHERE id = ?)', [before]);
    const found = await q;
    const { rows, more } = pageOf(found, DISPUTE_PAGE);
    const nav = pager({ label: 'Dispute pages', path: '/portal/disputes', before, olderBefore: more ? String(rows.at(-1).id) : undefined, newest: 'Newest disputes', older: 'Older disputes' });
    render(
      ctx,
      'Disputes',
      rows.length
        ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Opened</th><th scope="col">CDR</th><th scope="col" class="hide-sm">CPO → eMSP</th><th scope="col">Reason</th><th scope="col">Status</th></tr></thead><tbody>${rows.map((r: any) => html`<tr><td><a href="/portal/disputes/${seg(r.id)}">${new Date(r.opened_at).toISOString().slice(0, 10)}</a></td><td><a href="${cdrHref(r.country_code, r.party_id, r.cdr_id)}">${r.cdr_id}</a></td><td class="hide-sm">${r.cpo} → ${r.emsp}</td><td>${r.reason}</td><td>${badge(r.status)}</td></tr>`)}</tbody></table></div>${nav}`
        : before
          ? html`<p class="muted">No older disputes.</p>${nav}`
          : html`<p class="muted">No disputes. To dispute a charge, open the CDR from the CDRs page.</p>`,
      '/portal/disputes',
    );
  });

  router.get('/disputes/:id', async function disputePage(ctx) {
    const s = state(ctx);
    const user = requireUser(ctx);
    if (!/^[0-9a-f-]{36}$/i.test(ctx.params.id)) throw missing('dispute');
    const d = await s.deps.db('clearing_disputes as d').join('clearing_bookings as b', 'b.id', 'd.booking_id').where('d.id', ctx.params.id).first('d.*', 'b.country_code', 'b.party_id', 'b.cdr_id', 'b.cpo', 'b.emsp', 'b.amount', 'b.currency');
    if (!d) throw missing('dispute');
    assertParty(user, d.cpo, d.emsp);
    const [refund] = await listRefunds(s.deps.db, { disputeId: d.id });
    render(
      ctx,
      'Dispute',
      html`<section class="card"><dl class="facts"><dt>Status</dt><dd>${badge(d.status)}</dd><dt>CDR</dt><dd><a href="${cdrHref(d.country_code, d.party_id, d.cdr_id)}">${d.cdr_id}</a> (${d.cpo} → ${d.emsp})</dd><dt>Opened</dt><dd>${utcMinute(d.opened_at)} by ${d.opened_by}</dd><dt>Reason</dt><dd>${d.reason}</dd>
<dt>Amount held</dt><dd>${d.suspended ? 'taken out of the cycle until resolved' : 'the CDR was already cleared; an adjustment follows if upheld'}</dd>
${d.resolved_at ? html`<dt>Resolved</dt><dd>${utcMinute(d.resolved_at)}${d.resolution_note ? html`: ${d.resolution_note}` : ''}</dd>` : ''}</dl></section>
${refundSection(refund, user)}
${user.isAdmin && d.status === 'open'
  ? html`<form method="post" action="/portal/disputes/${seg(d.id)}/resolve" class="card" aria-labelledby="res-h"><h2 id="res-h">Resolve</h2><input type="hidden" name="_csrf" value="${s.csrf}">
<fieldset><legend>Outcome</legend><label><input type="radio" name="outcome" value="upheld" required> Upheld: the charge is withdrawn</label><label><input type="radio" name="outcome" value="rejected"> Rejected: the charge stands</label></fieldset>
<label for="note">Note to the parties</label><input id="note" name="note" type="text" maxlength="500">
<button type="submit">Resolve dispute</button></form>`
  : ''}`,
      '/portal/disputes',
    );
  });

  router.post('/disputes/:id/resolve', async function resolve(ctx) {
    const s = state(ctx);
    const user = requireAdmin(ctx);
    const outcome = s.form.outcome === 'upheld' ? 'upheld' : s.form.outcome === 'rejected' ? 'rejected' : undefined;
    if (!outcome) throw missing('outcome');
    const resolved = await resolveAndRefund(s.deps, ctx.params.id, outcome, `portal:${user.email}`, s.form.note || undefined);
    await audit(ctx, 'dispute.resolve', resolved.id, { outcome, note: s.form.note, ...(resolved.refund ? { refund: resolved.refund.id, refund_state: resolved.refund.state } : {}) });
    redirect(ctx, `/portal/disputes/${seg(resolved.id)}?done=resolved`);
  });
}
