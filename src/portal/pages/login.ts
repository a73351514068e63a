// Sign-in: password form, one-time link by email, link confirmation (a POST, so mail scanners that
// open links do not use them up), sign-out. Rate-limited per email and per address.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { html } from '../html.ts';
import { audit, PortalHttpError, redirect, render, state } from '../context.ts';
import { attemptSucceeded, claimAttempt, consumeLoginToken, createLoginToken, createSession, endSession, findUserByEmail, LIMITS, loadUser, LOGIN_LINK_MINUTES, recentAttempts, recordAttempt, verifyPassword, newToken } from '../auth.ts';
import { queueMessage, deliverPending } from '../../billing/mailer.ts';
import { sessionCookie, preCookie, clearCookie, PRE_COOKIE } from '../cookies.ts';

/** The pre-session CSRF token of the login forms (double-submit, keyed). */
function preCsrf(ctx: Context): string {
  const s = state(ctx);
  let pre = ctx.cookies.get(PRE_COOKIE);
  if (!pre || pre.length > 100) {
    pre = newToken();
    ctx.append('Set-Cookie', preCookie(pre, ctx));
  }
  return s.keys.hash('pre', pre);
}

const safeNext = (value: unknown) => (typeof value === 'string' && /^\/portal(\/[A-Za-z0-9._~%\-/]*)?$/.test(value) ? value : '/portal');

function loginPage(ctx: Context, error?: string, status = 200) {
  const csrf = preCsrf(ctx);
  const next = safeNext(ctx.query.next ?? state(ctx).form.next);
  render(
    ctx,
    'Sign in',
    html`${error ? html`<p class="flash error" role="alert">${error}</p>` : ''}
<div class="grid">
<form method="post" action="/portal/login" class="card" aria-labelledby="pw-h">
  <h2 id="pw-h">With your password</h2>
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
  <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/portal/login/link" class="card" aria-labelledby="link-h">
  <h2 id="link-h">With a link by email</h2>
  <input type="hidden" name="_csrf" value="${csrf}">
  <label for="link-email">Email</label><input id="link-email" name="email" type="email" autocomplete="email" required>
  <button type="submit" class="secondary">Email me a sign-in link</button>
</form>
</div>`,
    undefined,
    status,
  );
}

async function startSession(ctx: Context, userId: string, next: string) {
  const s = state(ctx);
  const token = await createSession(s.deps.db, s.keys, userId, s.deps.config.PORTAL_SESSION_HOURS, s.ip);
  ctx.append('Set-Cookie', sessionCookie(token, ctx, s.deps.config.PORTAL_SESSION_HOURS));
  ctx.append('Set-Cookie', clearCookie(PRE_COOKIE));
  redirect(ctx, next);
}

export function loginRoutes(router: Router) {
  router.get('/login', async function loginForm(ctx) {
    if (state(ctx).user) return redirect(ctx, '/portal');
    loginPage(ctx);
  });

  router.post('/login', async function login(ctx) {
    const s = state(ctx);
    const email = (s.form.email ?? '').trim().toLowerCase();
    const attempt = await claimAttempt(s.deps.db, [
      { key: `email:${email}`, limit: LIMITS.perEmail },
      { key: `ip:${s.ip}`, limit: LIMITS.perIp },
    ]);
    if (!attempt) {
      await audit(ctx, 'login.throttled', email);
      ctx.set('Retry-After', String(LIMITS.windowMinutes * 60));
      return loginPage(ctx, `Too many failed sign-ins. Try again in ${LIMITS.windowMinutes} minutes, or use a link by email.`, 429);
    }
    const user = email ? await findUserByEmail(s.deps.db, email) : undefined;
    const ok = await verifyPassword(s.form.password ?? '', user?.password_hash ?? null);
    if (ok && user) await attemptSucceeded(s.deps.db, attempt);
    if (!ok || !user) {
      await audit(ctx, 'login.failed', email);
      return loginPage(ctx, 'Email or password is not right.', 401);
    }
    s.user = { id: user.id, email, name: null, isAdmin: false, parties: [] };
    await audit(ctx, 'login', email, { method: 'password' });
    await startSession(ctx, user.id, safeNext(s.form.next));
  });

  router.post('/login/link', async function requestLink(ctx) {
    const s = state(ctx);
    const email = (s.form.email ?? '').trim().toLowerCase();
    const key = `link:${email}`;
    if ((await recentAttempts(s.deps.db, key, false)) >= LIMITS.linksPerEmail) {
      await audit(ctx, 'login.link.throttled', email);
      return redirect(ctx, '/portal/login?done=link');
    }
    await recordAttempt(s.deps.db, [key], true);
    const user = email ? await findUserByEmail(s.deps.db, email) : undefined;
    if (user) {
      const token = await createLoginToken(s.deps.db, s.keys, user.id);
      // In the query string, which the request log never records.
      const url = `${s.deps.config.HUB_PUBLIC_URL}/portal/login/link?token=${token}`;
      const dedupeKey = `login:${s.keys.hash('login', token)}`;
      await queueMessage(s.deps.db, { dedupeKey, kind: 'login_link', recipient: email, subject: `Your sign-in link for the ${s.deps.config.HUB_NAME} portal`, payload: { url, minutes: LOGIN_LINK_MINUTES } });
      // This link only, right away rather than at the worker's next tick (the rest of the outbox is
      // the worker's, not this request's to wait for); a failure stays queued for the worker.
      await deliverPending(s.deps, { only: [dedupeKey] }).catch((err) => s.deps.log.warn({ err }, 'login link not sent yet'));
    }
    await audit(ctx, 'login.link.requested', email, { known: Boolean(user) });
    redirect(ctx, '/portal/login?done=link');
  });

  router.get('/login/link', async function confirmLink(ctx) {
    const csrf = preCsrf(ctx);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    render(ctx, 'Sign in', html`<form method="post" action="/portal/login/link/use" class="card"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="token" value="${token}"><p>Continue to sign in to the portal.</p><button type="submit">Sign in</button></form>`);
  });

  router.post('/login/link/use', async function useLink(ctx) {
    const s = state(ctx);
    const userId = await consumeLoginToken(s.deps.db, s.keys, (s.form.token ?? '').slice(0, 100));
    // A user disabled since the link was sent gets no session.
    const user = userId ? await loadUser(s.deps.db, userId) : undefined;
    if (!userId || !user) {
      await audit(ctx, 'login.link.refused', null);
      throw new PortalHttpError(400, 'This sign-in link is not valid any more (used, expired or unknown). Ask for a new one.');
    }
    // Audited like a password sign-in (by and about the person's email), so one search finds both.
    s.user = user;
    await audit(ctx, 'login', user.email, { method: 'link' });
    await startSession(ctx, userId, '/portal');
  });

  router.post('/logout', async function logout(ctx) {
    const s = state(ctx);
    await audit(ctx, 'logout', s.user?.email ?? null);
    await endSession(s.deps.db, s.keys, s.sessionToken);
    ctx.append('Set-Cookie', clearCookie('portal_session'));
    redirect(ctx, '/portal/login?done=loggedout');
  });
}
