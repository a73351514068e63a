// Cookies of the portal: HttpOnly, SameSite=Strict, Path=/portal, Secure behind https.
import type { Context } from 'koa';

export const SESSION_COOKIE = 'portal_session';
export const PRE_COOKIE = 'portal_pre';

const secure = (ctx: Context) => (ctx.state.portal?.deps.config.HUB_PUBLIC_URL.startsWith('https:') ? '; Secure' : '');

export const sessionCookie = (token: string, ctx: Context, hours: number) => `${SESSION_COOKIE}=${token}; Path=/portal; HttpOnly; SameSite=Strict; Max-Age=${Math.round(hours * 3600)}${secure(ctx)}`;
export const preCookie = (token: string, ctx: Context) => `${PRE_COOKIE}=${token}; Path=/portal; HttpOnly; SameSite=Strict; Max-Age=3600${secure(ctx)}`;
export const clearCookie = (name: string) => `${name}=; Path=/portal; HttpOnly; SameSite=Strict; Max-Age=0`;
