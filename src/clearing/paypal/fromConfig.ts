// The hub's one way to reach PayPal from its configuration, shared by every door to a use case that
// pays (CLI, admin API, portal, the worker's refund retries): one client per configuration, so its
// OAuth token is reused; the SDK is loaded on first use, so what never pays never loads it.
import type { Config } from '../../config.ts';
import type { PayPalGateway } from './client.ts';

const gateways = new WeakMap<Config, Promise<PayPalGateway>>();

/** The configured PayPal; rejects naming the missing variables when PayPal is not configured. */
export function paypalOf(config: Config): Promise<PayPalGateway> {
  let gateway = gateways.get(config);
  if (!gateway) {
    gateway = import('./client.ts').then(({ createPayPal, paypalOptionsFromConfig }) => createPayPal(paypalOptionsFromConfig(config)));
    gateways.set(config, gateway);
  }
  return gateway;
}

/**
 * Stands in for PayPal when it is not configured and the run needs none (cycles settled by bank
 * transfer): any call rejects naming what is missing, as a plain error, so nothing takes it for
 * PayPal's answer.
 */
export function unconfiguredPayPal(missing: string[]): PayPalGateway {
  const refuse = async (): Promise<never> => {
    throw new Error(`PayPal is not configured (set ${missing.join(' and ')})`);
  };
  return { createOrder: refuse, getOrder: refuse, captureOrder: refuse, refundCapture: refuse, getRefund: refuse, createPayout: refuse, getPayout: refuse, searchTransactions: refuse };
}
