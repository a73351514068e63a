import { HubError, InvalidParametersError, ReceiverNotConnectedError, UnknownReceiverError } from '../errors.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';
import type { RouteDecision } from './routing.ts';

/** A routing refusal as the OCPI error the sender sees (4001 unknown, 4003 not connected). */
export function routeError(decision: Extract<RouteDecision, { ok: false }>): HubError {
  switch (decision.error) {
    case 'unknown_receiver':
      return new UnknownReceiverError(decision.message);
    case 'not_connected':
      return new ReceiverNotConnectedError(decision.message);
    case 'broadcast_not_allowed':
      return new InvalidParametersError(decision.message, [{ path: 'OCPI-to-party-id', message: decision.message }]);
    case 'not_implemented':
      return new HubError(decision.message, OcpiStatus.HubError);
  }
}
