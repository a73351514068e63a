// The portal served by the hub under /portal: server-rendered pages for partner users (their own
// parties only) and operators. Mounted before the JSON body parser: it reads its own form posts.
// Every POST carries a CSRF token; sessions live in HttpOnly, SameSite=Strict cookies.
import { audit } from '../store/audit.ts';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { HubDeps } from '../deps.ts';
import { HubError } from '../errors.ts';
import { ClearingError } from '../clearing/errors.ts';
import { TokenKeys, sessionUser } from './auth.ts';
import { PortalHttpError, render, state, type PortalState } from './context.ts';
import { PRE_COOKIE, SESSION_COOKIE } from './cookies.ts';
import { html } from './html.ts';
import { CSS, page } from './layout.ts';
import { loginRoutes } from './pages/login.ts';
import { homeRoutes } from './pages/home.ts';
import { statementRoutes } from './pages/statements.ts';
import { cdrRoutes } from './pages/cdrs.ts';
import { contactRoutes } from './pages/contacts.ts';
import { opsRoutes } from './pages/ops.ts';
import type { RequestState } from '../http/middlewares/requestContext.ts';

const FORM_LIMIT = 64 * 1024;
const PUBLIC_POSTS = new Set(['/portal/login', '/portal/login/link', '/portal/login/link/use']);
const PUBLIC_GETS = new Set(['/portal/login', '/portal/login/link', '/portal/assets/portal.css']);

async function readForm(ctx: Context): Promise<Record<string, string>> {
  const type = ctx.get('content-type');
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new PortalHttpError(415, 'Forms must be sent as application/x-www-form-urlencoded.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new PortalHttpError(413, 'The form is too large.');
    chunks.push(chunk);
  }
  const form: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (k.includes('\u0000') || v.includes('\u0000')) throw new PortalHttpError(400, 'The form contains a NUL character.');
    form[k] = v;
  }
  return form;
}

function securityHeaders(ctx: Context) {
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Cache-Control', 'no-store');
}

export function portalRouter(): Router {
  const router = new Router({ prefix: '/portal' });
  router.get('/assets/portal.css', async function css(ctx) {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = CSS;
  });
  loginRoutes(router);
  homeRoutes(router);
  statementRoutes(router);
  cdrRoutes(router);
  contactRoutes(router);
  opsRoutes(router);
  return router;
}

/** Koa middleware answering everything under /portal; other paths pass through untouched. */
export function portal(deps: HubDeps): Middleware {
  const keys = deps.config.PORTAL_SESSION_SECRET ? new TokenKeys(deps.config.PORTAL_SESSION_SECRET) : undefined;
  const router = portalRouter();
  const routes = router.routes();
  const methods = router.allowedMethods();
  return async function portalMiddleware(ctx, next) {
    if (ctx.path !== '/portal' && !ctx.path.startsWith('/portal/')) return next();
    securityHeaders(ctx);
    if (!keys) {
      ctx.status = 503;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page('Portal not configured', html`<p>Set PORTAL_SESSION_SECRET to turn the portal on.</p>`, { hubName: deps.config.HUB_NAME });
      return;
    }
    const request = ctx.state.request as RequestState | undefined;
    if (/%00/.test(ctx.path) || ctx.path.includes('\u0000')) {
      ctx.status = 400;
      ctx.body = 'bad path';
      return;
    }
    const s: PortalState = { deps, keys, form: {}, ip: ctx.ip || ctx.request.socket.remoteAddress || 'unknown' };
    ctx.state.portal = s;
    try {
      const token = ctx.cookies.get(SESSION_COOKIE);
      s.user = await sessionUser(deps.db, keys, token);
      if (s.user) {
        s.sessionToken = token;
        s.csrf = keys.csrfFor(token as string);
      }
      if (ctx.method === 'POST') {
        s.form = await readForm(ctx);
        const ok = PUBLIC_POSTS.has(ctx.path)
          ? Boolean(ctx.cookies.get(PRE_COOKIE)) && keys.hash('pre', ctx.cookies.get(PRE_COOKIE) as string) === s.form._csrf
          : Boolean(s.sessionToken) && keys.checkCsrf(s.sessionToken as string, s.form._csrf);
        if (!ok) {
          if (!s.user && !PUBLIC_POSTS.has(ctx.path)) throw new PortalHttpError(401, 'Please sign in.');
          await audit(deps.db, { actor: s.user ? `portal:${s.user.email}` : 'portal:anonymous', action: 'portal.csrf.refused', subject: ctx.path, details: { ip: s.ip } });
          throw new PortalHttpError(403, 'The form expired or did not come from this portal. Go back, reload the page and try again.');
        }
      } else if (!s.user && !PUBLIC_GETS.has(ctx.path)) {
        throw new PortalHttpError(401, 'Please sign in.');
      }
      await routes(ctx as never, async () => {});
      if (ctx.body === undefined && ctx.status !== 303 && ctx.status !== 302) {
        await methods(ctx as never, async () => {});
        if (ctx.status === 405) throw new PortalHttpError(405, 'Not allowed here.');
        throw new PortalHttpError(404, 'No such page.');
      }
    } catch (err) {
      if (err instanceof PortalHttpError && err.status === 401 && ctx.method === 'GET') {
        ctx.redirect(`/portal/login?next=${encodeURIComponent(ctx.path)}`);
        ctx.status = 303;
        return;
      }
      let status = 500;
      let message = `Something went wrong on our side. Quote request ${request?.requestId ?? ''} when you contact the hub operator.`;
      if (err instanceof PortalHttpError) ({ status, message } = err);
      else if (err instanceof ClearingError) ({ httpStatus: status, message } = err);
      else if (err instanceof HubError) {
        status = err.httpStatus >= 400 ? err.httpStatus : 400;
        message = err.message;
      } else (request?.log ?? deps.log).error({ err }, 'portal: unexpected error');
      render(ctx, status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status >= 500 ? 'Error' : 'Could not do that', html`<p class="flash error" role="alert">${message}</p><p><a href="/portal">Back to the overview</a></p>`, undefined, status);
    }
  };
}
