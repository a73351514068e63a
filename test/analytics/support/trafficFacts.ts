// The traffic facts a hub publishes on NATS (one per delivery attempt or synchronous call), as
// text, collected from the moment of subscribing: what a test compares with ClickHouse `deliveries`.
import type { Bus } from '../../../src/bus/nats.ts';

export interface TrafficFacts {
  /** Every fact published since the subscription, as sent. */
  readonly raw: string[];
  stop(): void;
}

export function collectTrafficFacts(bus: Bus): TrafficFacts {
  const raw: string[] = [];
  const subscription = bus.nc.subscribe(bus.subjects.traffic('delivery'));
  void (async () => {
    for await (const m of subscription) raw.push(m.string());
  })();
  return { raw, stop: () => subscription.unsubscribe() };
}
