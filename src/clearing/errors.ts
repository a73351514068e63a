// Clearing errors the CLI and admin API present as they are (HTTP 4xx / exit 1 with the message).
import { HubError } from '../errors.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';

export class ClearingError extends HubError {
  override name = 'ClearingError';
  constructor(message: string, readonly code: string, httpStatus = 409) {
    super(message, OcpiStatus.ClientError, httpStatus);
  }
}

export const notFound = (what: string) => new ClearingError(`${what} not found`, 'not_found', 404);
export const invalid = (message: string) => new ClearingError(message, 'invalid', 400);
export const conflict = (message: string) => new ClearingError(message, 'conflict', 409);
