// Whether a settle run needs PayPal at all, and what is missing to reach it. Pure, so the CLI can
// refuse before touching anything, and only when a selected cycle actually settles through PayPal:
// cycles in currencies PayPal does not take settle by bank transfer and need no PayPal account.
import { paypalSupports } from './currencies.ts';

export interface PayPalSettings {
  PAYPAL_ENVIRONMENT: 'sandbox' | 'production' | 'standin';
  PAYPAL_CLIENT_ID?: string;
  PAYPAL_CLIENT_SECRET?: string;
  PAYPAL_BASE_URL?: string;
}

/** The PayPal variables still to set (empty when PayPal is configured). */
export function missingPayPalVariables(config: PayPalSettings): string[] {
  const missing: string[] = [];
  if (!config.PAYPAL_CLIENT_ID) missing.push('PAYPAL_CLIENT_ID');
  if (!config.PAYPAL_CLIENT_SECRET) missing.push('PAYPAL_CLIENT_SECRET');
  if (config.PAYPAL_ENVIRONMENT === 'standin' && !config.PAYPAL_BASE_URL) missing.push('PAYPAL_BASE_URL');
  return missing;
}

/** The cycles (by "period currency") that settle through PayPal. */
export function cyclesThroughPayPal(cycles: { period: string; currency: string }[]): string[] {
  return cycles.filter((c) => paypalSupports(c.currency)).map((c) => `${c.period} ${c.currency.trim()}`);
}

/** Why this run cannot settle, or null when it can (PayPal configured, or not needed). */
export function settleRefusal(config: PayPalSettings, cycles: { period: string; currency: string }[]): string | null {
  const missing = missingPayPalVariables(config);
  const needing = cyclesThroughPayPal(cycles);
  if (missing.length === 0 || needing.length === 0) return null;
  return `settling ${needing.join(', ')} goes through PayPal, which is not configured: set ${missing.join(' and ')} (cycles in currencies PayPal does not take settle without it)`;
}
