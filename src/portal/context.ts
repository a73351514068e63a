// Per-request portal state and the small helpers every page uses: access checks, audit, rendering.
import { audit as writeAudit } from '../store/audit.ts';
import type { Context } from 'koa';
import type { HubDeps } from '../deps.ts';
import type { PortalUser, TokenKeys } from './auth.ts';
import { page } from './layout.ts';
import type { SafeHtml } from './html.ts';

export interface PortalState {
  deps: HubDeps;
  keys: TokenKeys;
  user?: PortalUser;
  sessionToken?: string;
  csrf?: string;
  form: Record<string, string>;
  ip: string;
}

export class PortalHttpError extends Error {
  override name = 'PortalHttpError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const forbidden = () => new PortalHttpError(403, 'You do not have access to this page. It belongs to another party.');
export const missing = (what = 'page') => new PortalHttpError(404, `No such ${what}.`);

export const state = (ctx: Context): PortalState => ctx.state.portal as PortalState;

export function requireUser(ctx: Context): PortalUser {
  const user = state(ctx).user;
  if (!user) throw new PortalHttpError(401, 'Please sign in.');
  return user;
}

export function requireAdmin(ctx: Context): PortalUser {
  const user = requireUser(ctx);
  if (!user.isAdmin) throw new PortalHttpError(403, 'Operators only.');
  return user;
}

/** The parties a user may see: undefined = all (operator). */
export const scopeOf = (user: PortalUser): string[] | undefined => (user.isAdmin ? undefined : user.parties);

export function assertParty(user: PortalUser, ...parties: (string | null | undefined)[]): void {
  if (user.isAdmin) return;
  if (!parties.some((p) => p && user.parties.includes(p.toUpperCase()))) throw forbidden();
}

/** An audit row for a portal action: the signed-in user as actor, the client address in details. */
export async function audit(ctx: Context, action: string, subject: string | null, details: Record<string, unknown> = {}): Promise<void> {
  const s = state(ctx);
  await writeAudit(s.deps.db, { actor: s.user ? `portal:${s.user.email}` : 'portal:anonymous', action: `portal.${action}`, subject, details: { ...details, ip: s.ip } });
}

const FLASH: Record<string, { kind: 'ok' | 'error'; text: string }> = {
  payment: { kind: 'ok', text: 'Payment recorded.' },
  writeoff: { kind: 'ok', text: 'Statement written off.' },
  dispute: { kind: 'ok', text: 'Dispute opened. The settlement team will review it.' },
  resolved: { kind: 'ok', text: 'Dispute resolved.' },
  replayed: { kind: 'ok', text: 'Dead letters queued again for delivery.' },
  contact: { kind: 'ok', text: 'Billing contacts updated.' },
  link: { kind: 'ok', text: 'If the address belongs to a portal user, a sign-in link is on its way. It works once, for 15 minutes.' },
  loggedout: { kind: 'ok', text: 'You are signed out.' },
};

export function render(ctx: Context, title: string, body: SafeHtml, active?: string, status = 200): void {
  const s = state(ctx);
  const done = typeof ctx.query.done === 'string' ? FLASH[ctx.query.done] : undefined;
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = page(title, body, { user: s.user, csrf: s.csrf, hubName: s.deps.config.HUB_NAME, active, flash: done ?? null });
}

export function redirect(ctx: Context, to: string): void {
  ctx.redirect(to);
  ctx.status = 303;
}
