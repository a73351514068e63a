// Operator pages: partners and connection status, delivery backlog, dead letters (replay) and the
// results relayed to requesters, clearing cycles and their states, anomalies and disputes awaiting review.
import type Router from '@koa/router';
import { html, seg, type SafeHtml } from '../html.ts';
import { utcMinute } from '../format.ts';
import { audit, redirect, render, requireAdmin, state } from '../context.ts';
import { badge } from './statements.ts';
import { deliveryStatus, type ReceiverBacklog } from '../../hub/delivery/status.ts';
import { openDeadLetters } from '../../hub/delivery/deadLetters.ts';
import { replayDeadLetters } from '../../hub/delivery/replay.ts';
import { listCycles } from '../../clearing/cycles.ts';
import { listResultRelays, resultsByRequester, type RequesterResults, type ResultRelay } from '../../hub/commands/resultRelays.ts';

/** How many of the latest given-up or refused results the Deliveries page lists one by one. */
const UNDELIVERED_SHOWN = 50;

const age = (seconds: number | null) => (seconds === null ? '-' : `${seconds}s`);

/**
 * Results (CommandResult, charging profile results) on their way to requesters, which the hub
 * relays from Postgres rather than through the lanes, so the backlog above does not count them:
 * per requester, then the latest that never reached theirs. Partner-supplied text (last_error is
 * what the requester answered) goes through `html`, escaped like everything else.
 */
function resultsToRequesters(requesters: readonly RequesterResults[], undelivered: readonly ResultRelay[]): SafeHtml {
  return html`<h2>Results to requesters</h2>
${requesters.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Requester</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Oldest pending</th><th scope="col" class="num">Given up</th><th scope="col" class="num">Refused</th></tr></thead><tbody>${requesters.map((r) => html`<tr><td>${r.requester}</td><td class="num">${r.pending}</td><td class="num">${age(r.oldest_age_s)}</td><td class="num">${r.given_up}</td><td class="num">${r.refused}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">No results pending, given up or refused.</p>`}
<h3>Latest given up or refused</h3>
${undelivered.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Requester</th><th scope="col">Request (X-Correlation-ID)</th><th scope="col">State</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col" class="hide-sm">Received</th></tr></thead><tbody>${undelivered.map((r) => html`<tr><td>${r.requester}</td><td>${r.module}: ${r.correlation_id}</td><td>${badge(r.state)}</td><td class="num">${r.attempts}</td><td>${r.last_error ?? '-'}</td><td class="hide-sm">${utcMinute(r.received_at)}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">None.</p>`}`;
}

export function opsRoutes(router: Router) {
  router.get('/ops/partners', async function partners(ctx) {
    requireAdmin(ctx);
    const rows = await state(ctx)
      .deps.db('parties as p')
      .join('platforms as f', 'f.id', 'p.platform_id')
      .orderBy(['p.country_code', 'p.party_id', 'p.role'])
      .select('p.country_code', 'p.party_id', 'p.role', 'p.status', 'p.business_details', 'f.name as platform', 'f.state as platform_state', 'f.last_seen_at');
    render(
      ctx,
      'Partners',
      html`<div class="table-wrap"><table><thead><tr><th scope="col">Party</th><th scope="col">Role</th><th scope="col" class="hide-sm">Name</th><th scope="col">Connection</th><th scope="col" class="hide-sm">Platform</th><th scope="col" class="hide-sm">Last seen</th></tr></thead><tbody>${rows.map((r: any) => html`<tr><td>${r.country_code}-${r.party_id}</td><td>${r.role}</td><td class="hide-sm">${r.business_details?.name ?? ''}</td><td>${badge(r.status)}</td><td class="hide-sm">${r.platform} (${r.platform_state})</td><td class="hide-sm">${r.last_seen_at ? utcMinute(r.last_seen_at) : '-'}</td></tr>`)}</tbody></table></div>`,
      '/portal/ops/partners',
    );
  });

  router.get('/ops/deliveries', async function deliveries(ctx) {
    const s = state(ctx);
    requireAdmin(ctx);
    let backlog: ReceiverBacklog[] = [];
    let backlogError: string | null = null;
    try {
      backlog = await deliveryStatus(s.deps);
    } catch (err) {
      backlogError = 'The delivery backlog could not be read from NATS right now.';
      s.deps.log.warn({ err }, 'portal: delivery status failed');
    }
    const [letters, requesters, undelivered] = await Promise.all([
      openDeadLetters(s.deps.db),
      resultsByRequester(s.deps.db),
      listResultRelays(s.deps.db, { states: ['given_up', 'refused'], limit: UNDELIVERED_SHOWN }),
    ]);
    const byReceiver = new Map<string, typeof letters>();
    for (const l of letters) byReceiver.set(l.receiver, [...(byReceiver.get(l.receiver) ?? []), l]);
    render(
      ctx,
      'Deliveries',
      html`<h2>Backlog per receiver</h2>${backlogError ? html`<p class="flash error">${backlogError}</p>` : ''}
${backlog.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Receiver</th><th scope="col">Status</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">Oldest</th><th scope="col" class="num">Dead letters</th></tr></thead><tbody>${backlog.map((b) => html`<tr><td>${b.receiver}</td><td>${badge(b.status)}</td><td class="num">${b.pending}</td><td class="num">${age(b.oldest_age_s)}</td><td class="num">${b.dead_letters}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">No receivers.</p>`}
<h2>Dead letters</h2>
${byReceiver.size ? [...byReceiver.entries()].map(([receiver, items]) => html`<section class="card" aria-labelledby="dl-${receiver}"><h3 id="dl-${receiver}">${receiver}: ${items.length} dead letter${items.length > 1 ? 's' : ''}</h3>
<div class="table-wrap"><table><thead><tr><th scope="col">Module</th><th scope="col">Object</th><th scope="col" class="hide-sm">Reason</th><th scope="col" class="num">Attempts</th><th scope="col">Since</th></tr></thead><tbody>${items.slice(0, 50).map((l: any) => html`<tr><td>${l.module}</td><td>${l.object_key}</td><td class="hide-sm">${l.reason}</td><td class="num">${l.attempts}</td><td>${utcMinute(l.created_at)}</td></tr>`)}</tbody></table></div>
<form method="post" action="/portal/ops/deliveries/replay"><input type="hidden" name="_csrf" value="${s.csrf}"><input type="hidden" name="receiver" value="${receiver}"><button type="submit">Replay ${items.length} to ${receiver}</button></form></section>`) : html`<p class="muted">No dead letters.</p>`}
${resultsToRequesters(requesters, undelivered)}`,
      '/portal/ops/deliveries',
    );
  });

  router.post('/ops/deliveries/replay', async function replay(ctx) {
    const s = state(ctx);
    const user = requireAdmin(ctx);
    const receiver = (s.form.receiver ?? '').slice(0, 40);
    const { replayed: count } = await replayDeadLetters(s.deps, { receiver, actor: `portal:${user.email}` });
    await audit(ctx, 'deliveries.replay', receiver, { count });
    redirect(ctx, '/portal/ops/deliveries?done=replayed');
  });

  router.get('/ops/cycles', async function cycles(ctx) {
    const s = state(ctx);
    requireAdmin(ctx);
    const all = (await listCycles(s.deps.db)).reverse().slice(0, 200);
    const counts = new Map<string, number>((await s.deps.db('clearing_statements').groupBy('cycle_id').select('cycle_id').count({ n: '*' })).map((r: any) => [r.cycle_id, Number(r.n)]));
    render(
      ctx,
      'Clearing cycles',
      html`<div class="table-wrap"><table><thead><tr><th scope="col">Period</th><th scope="col">Currency</th><th scope="col">State</th><th scope="col" class="num">Bookings</th><th scope="col" class="num">Statements</th><th scope="col" class="hide-sm">Closed</th><th scope="col" class="hide-sm">Settled</th></tr></thead><tbody>${all.map((c) => html`<tr><td>${c.period}</td><td>${c.currency}</td><td>${badge(c.state)}</td><td class="num">${String((c.summary as any)?.netting?.bookings ?? (c.summary as any)?.at_close?.booked ?? '-')}</td><td class="num">${counts.get(c.id) ? html`<a href="/portal/statements?cycle=${seg(c.id)}">${counts.get(c.id)}</a>` : '0'}</td><td class="hide-sm">${c.closedAt?.toISOString().slice(0, 10) ?? '-'}</td><td class="hide-sm">${c.settledAt?.toISOString().slice(0, 10) ?? '-'}</td></tr>`)}</tbody></table></div>`,
      '/portal/ops/cycles',
    );
  });

  router.get('/ops/reviews', async function reviews(ctx) {
    const s = state(ctx);
    requireAdmin(ctx);
    const db = s.deps.db;
    const hasReview = (await db.raw("SELECT to_regclass('review_items') IS NOT NULL AS present")).rows[0].present;
    const items = hasReview ? await db('review_items').where({ status: 'open' }).orderBy('created_at', 'desc').limit(200) : [];
    const disputes = await db('clearing_disputes as d').join('clearing_bookings as b', 'b.id', 'd.booking_id').where('d.status', 'open').orderBy('d.opened_at').select('d.id', 'd.reason', 'd.opened_at', 'b.cdr_id', 'b.cpo', 'b.emsp');
    render(
      ctx,
      'Awaiting review',
      html`<h2>Open disputes</h2>${disputes.length ? html`<ul>${disputes.map((d: any) => html`<li><a href="/portal/disputes/${seg(d.id)}">${d.cdr_id}</a> (${d.cpo} → ${d.emsp}): ${d.reason}</li>`)}</ul>` : html`<p class="muted">None.</p>`}
<h2>Billing anomalies</h2>${items.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Detected</th><th scope="col">Party</th><th scope="col">Anomaly</th><th scope="col">Severity</th><th scope="col" class="hide-sm">CDR</th></tr></thead><tbody>${items.map((i: any) => html`<tr><td>${new Date(i.detected_at).toISOString().slice(0, 10)}</td><td>${i.country_code}-${i.party_id}</td><td>${i.anomaly_type}</td><td>${badge(i.severity)}</td><td class="hide-sm">${i.cdr_id ? html`<a href="/portal/cdrs/${seg(i.country_code)}/${seg(i.party_id)}/${seg(i.cdr_id)}">${i.cdr_id}</a>` : '-'}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">None.</p>`}`,
      '/portal/ops/reviews',
    );
  });
}
