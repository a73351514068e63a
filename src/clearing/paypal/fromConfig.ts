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
