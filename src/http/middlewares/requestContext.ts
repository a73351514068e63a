import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { Header, OutgoingHeader } from '../../../ocpi/headers.ts';
import type { Logger } from '../../logger.ts';

export interface RoutingHeaders {
  from?: { countryCode: string; partyId: string };
  to?: { countryCode: string; partyId: string };
}

export interface RequestState {
  requestId: string;
  correlationId: string;
  routing: RoutingHeaders;
  log: Logger;
  /** The logger `log` derives from (to ask whether a level is on without building `log`). */
  baseLog: Logger;
  startedAt: bigint;
  ocpiStatus?: number;
  platformId?: string;
  /** Routing headers sent without their pair or unreadable (refused on functional modules by routingHeaderCheck). */
  routingProblems?: RoutingHeaderProblem[];
}

export interface RoutingHeaderProblem {
  path: string;
  message: string;
}

const ID_PATTERN = /^[\x21-\x7e]{1,100}$/;

/**
 * Request and correlation ids (echoed on the response, as OCPI requires), routing headers, and
 * a child logger that carries them. Ids a client sends that are not printable ASCII are replaced,
 * so nothing odd reaches logs or forwarded requests.
 */
export function requestContext(log: Logger): Middleware {
  return async function requestContextMiddleware(ctx, next) {
    const header = (name: string) => {
      const value = ctx.get(name);
      return value && ID_PATTERN.test(value) ? value : undefined;
    };
    const requestId = header(Header.RequestId) ?? randomUUID();
    const correlationId = header(Header.CorrelationId) ?? randomUUID();
    const routing = routingHeaders((name) => header(name));
    const routingProblems = routing.from && routing.to ? undefined : routingHeaderProblems((name) => ctx.get(name));
    ctx.set(OutgoingHeader.RequestId, requestId);
    ctx.set(OutgoingHeader.CorrelationId, correlationId);
    const state = new RequestContextState(requestId, correlationId, routing, log, routingProblems);
    ctx.state.request = state;
    await next();
  };
}

/**
 * The request's state, a class so that `log` is a getter on the prototype. An object literal with
 * its own `get log()` needs a hidden class of its own, which V8 keeps in the old generation, pointing
 * at the getter and through its closure at the whole request (ctx, body, response) until the next
 * full collection: every young-generation collection then kept the requests of the last half second
 * alive and promoted them (about 3 MB a collection at 600 CDR/s), and took 5-10 times longer.
 */
class RequestContextState implements RequestState {
  readonly startedAt = process.hrtime.bigint();
  ocpiStatus?: number;
  platformId?: string;
  private child?: Logger;

  constructor(
    readonly requestId: string,
    readonly correlationId: string,
    readonly routing: RoutingHeaders,
    readonly baseLog: Logger,
    readonly routingProblems: RoutingHeaderProblem[] | undefined,
  ) {}

  // The child logger is made on first use: building one (pino serialises its bindings) costs more
  // than most requests spend logging, and at level warn a successful request logs nothing.
  get log(): Logger {
    return (this.child ??= this.baseLog.child({
      requestId: this.requestId,
      correlationId: this.correlationId,
      from: this.routing.from && `${this.routing.from.countryCode}-${this.routing.from.partyId}`,
      to: this.routing.to && `${this.routing.to.countryCode}-${this.routing.to.partyId}`,
    }));
  }
}

function routingHeaders(get: (name: string) => string | undefined): RoutingHeaders {
  const pair = (cc: string, pid: string) => {
    const countryCode = get(cc);
    const partyId = get(pid);
    return countryCode && partyId ? { countryCode: countryCode.toUpperCase(), partyId: partyId.toUpperCase() } : undefined;
  };
  return { from: pair(Header.FromCountryCode, Header.FromPartyId), to: pair(Header.ToCountryCode, Header.ToPartyId) };
}

const ROUTING_PAIRS = [
  [Header.FromCountryCode, Header.FromPartyId],
  [Header.ToCountryCode, Header.ToPartyId],
] as const;

/**
 * Routing headers that cannot be read as an address: one of a pair without the other, or a value
 * that is not printable ASCII. Dropped silently, half an OCPI-to-* would turn a push meant for one
 * party into an open routing or a broadcast to every party. Undefined when there is none.
 */
export function routingHeaderProblems(get: (name: string) => string): RoutingHeaderProblem[] | undefined {
  const problems: RoutingHeaderProblem[] = [];
  for (const pair of ROUTING_PAIRS) {
    const values = pair.map((name) => get(name));
    if (!values[0] && !values[1]) continue;
    pair.forEach((name, i) => {
      const path = OUTGOING_NAME[name];
      if (!values[i]) problems.push({ path, message: `required with ${OUTGOING_NAME[pair[1 - i]]}` });
      else if (!ID_PATTERN.test(values[i])) problems.push({ path, message: 'must be printable ASCII without spaces' });
    });
  }
  return problems.length ? problems : undefined;
}

const OUTGOING_NAME: Record<string, string> = {
  [Header.FromCountryCode]: OutgoingHeader.FromCountryCode,
  [Header.FromPartyId]: OutgoingHeader.FromPartyId,
  [Header.ToCountryCode]: OutgoingHeader.ToCountryCode,
  [Header.ToPartyId]: OutgoingHeader.ToPartyId,
};
