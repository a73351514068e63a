// The page frame: skip link, header with navigation (by role), main landmark, flash message,
// and the stylesheet (served from /portal/assets/portal.css, so the CSP needs no inline styles).
import { html, type SafeHtml } from './html.ts';
import type { PortalUser } from './auth.ts';

export interface PageOptions {
  user?: PortalUser | null;
  csrf?: string;
  flash?: { kind: 'ok' | 'error'; text: string } | null;
  hubName: string;
  active?: string;
}

export function page(title: string, body: SafeHtml, o: PageOptions): string {
  const nav: [string, string][] = o.user
    ? o.user.isAdmin
      ? [['/portal', 'Overview'], ['/portal/ops/partners', 'Partners'], ['/portal/ops/deliveries', 'Deliveries'], ['/portal/ops/cycles', 'Cycles'], ['/portal/statements', 'Statements'], ['/portal/disputes', 'Disputes'], ['/portal/ops/reviews', 'Review'], ['/portal/cdrs', 'CDRs'], ['/portal/contacts', 'Contacts']]
      : [['/portal', 'Overview'], ['/portal/statements', 'Statements'], ['/portal/cdrs', 'CDRs'], ['/portal/disputes', 'Disputes'], ['/portal/contacts', 'Billing contacts']]
    : [];
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${o.hubName} portal</title>
<link rel="stylesheet" href="/portal/assets/portal.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">${o.hubName}</span>
  ${o.user
    ? html`<nav aria-label="Main"><ul>${nav.map(([href, label]) => html`<li><a href="${href}"${o.active === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
  <form method="post" action="/portal/logout" class="logout"><input type="hidden" name="_csrf" value="${o.csrf}"><span class="who">${o.user.email}${o.user.isAdmin ? ' (operator)' : ` (${o.user.parties.join(', ')})`}</span> <button type="submit">Sign out</button></form>`
    : ''}
</header>
<main id="main" tabindex="-1">
${o.flash ? html`<p class="flash ${o.flash.kind}" role="${o.flash.kind === 'error' ? 'alert' : 'status'}">${o.flash.text}</p>` : ''}
<h1>${title}</h1>
${body}
</main>
</body>
</html>`}`;
}

export const CSS = `
:root { --fg:#1a202c; --muted:#4a5568; --line:#d2d6dc; --bg:#f7f8fa; --accent:#1a56a0; --ok:#22663a; --bad:#a61b1b; --warn:#8a5a00; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); line-height:1.45; font-size:16px; }
a { color:var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline:3px solid #f6ad55; outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:2; }
.top { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1rem; padding:.6rem 1rem; background:#0f2a4a; color:#fff; }
.top a { color:#fff; text-decoration:none; padding:.2rem .4rem; border-radius:4px; } .top a[aria-current=page] { background:#2b4f7e; }
.top nav ul { list-style:none; display:flex; flex-wrap:wrap; gap:.2rem; margin:0; padding:0; }
.brand { font-weight:700; margin-right:1rem; }
.logout { margin-left:auto; font-size:.9rem; } .who { opacity:.85; }
main { max-width:1100px; margin:0 auto; padding:1rem; }
h1 { font-size:1.5rem; margin:.5rem 0 1rem; } h2 { font-size:1.15rem; margin-top:1.6rem; }
table { border-collapse:collapse; width:100%; background:#fff; font-size:.92rem; }
th, td { text-align:left; padding:.4rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; } td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.table-wrap { overflow-x:auto; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin:1rem 0; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(240px, 1fr)); gap:1rem; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; margin:0; } dl.facts dt { font-weight:600; }
.badge { display:inline-block; padding:.05rem .45rem; border-radius:10px; font-size:.8rem; font-weight:600; background:#e2e8f0; }
.badge.paid, .badge.upheld, .badge.CONNECTED, .badge.settled, .badge.sent, .badge.completed { background:#d4edda; color:var(--ok); }
.badge.overdue, .badge.failed, .badge.OFFLINE, .badge.SUSPENDED, .badge.error { background:#f8d7da; color:var(--bad); }
.badge.partially_paid, .badge.open, .badge.warning, .badge.pending, .badge.created { background:#fff3cd; color:var(--warn); }
form.inline { display:inline; }
label { display:block; font-weight:600; margin:.6rem 0 .2rem; }
input[type=text], input[type=email], input[type=password], input[type=date], select, textarea { width:100%; max-width:28rem; padding:.45rem; border:1px solid #8a94a6; border-radius:4px; font:inherit; }
button, .button { display:inline-block; padding:.45rem .9rem; border:0; border-radius:4px; background:var(--accent); color:#fff; font:inherit; cursor:pointer; text-decoration:none; margin-top:.6rem; }
button.secondary { background:#4a5568; } button.danger { background:var(--bad); }
.flash { padding:.6rem .8rem; border-radius:4px; } .flash.ok { background:#d4edda; } .flash.error { background:#f8d7da; }
pre.explain { background:#fff; border:1px solid var(--line); padding:.8rem; overflow-x:auto; font-size:.85rem; }
.muted { color:var(--muted); } .big { font-size:1.6rem; } a.card { display:block; text-decoration:none; color:var(--fg); }
.chart svg { width:100%; max-width:420px; height:auto; background:#fff; border:1px solid var(--line); }
.chart .axis { stroke:#8a94a6; } .chart .tick { font-size:10px; fill:#4a5568; }
figure.chart { margin:0; } figcaption { font-size:.9rem; color:var(--muted); }
@media (max-width: 640px) { th, td { padding:.3rem; font-size:.85rem; } .hide-sm { display:none; } main { padding:.6rem; } }
`;
