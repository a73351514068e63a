// Errors the hub raises on purpose. Each carries its OCPI status code and the HTTP status it is
// rendered with (src/http/middlewares/renderErrors.ts). Anything else is an unknown error: OCPI 3000
// with a generic message, logged with the request id.
import { OcpiStatus } from '../ocpi/statusCodes.ts';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly ocpiStatus: number,
    readonly httpStatus = 200,
    options?: { cause?: unknown; data?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.data = options?.data;
  }
  readonly data: unknown;
}

/** 2001: a field or parameter is missing or wrong. The message names it. */
export class InvalidParametersError extends HubError {
  override name = 'InvalidParametersError';
  constructor(message: string, readonly errors: { path: string; message: string }[] = [], httpStatus = 200) {
    super(message, OcpiStatus.InvalidParameters, httpStatus, { data: errors.length ? { errors } : undefined });
  }
}

export class NotEnoughInformationError extends HubError {
  override name = 'NotEnoughInformationError';
  constructor(message: string) {
    super(message, OcpiStatus.NotEnoughInformation);
  }
}

/** HTTP 400: the body is not JSON (status_codes.asciidoc: MUST). */
export class MalformedBodyError extends HubError {
  override name = 'MalformedBodyError';
  constructor(message: string) {
    super(message, OcpiStatus.InvalidParameters, 400);
  }
}

/**
 * HTTP 408: the connection closed before the whole body arrived (the client went away, or the
 * server's request timeout closed it). Nobody reads the answer; it keeps the request log true
 * instead of an unexpected-error 3000 for what the client did.
 */
export class BodyIncompleteError extends HubError {
  override name = 'BodyIncompleteError';
  constructor() {
    super('request body not received in full: the connection closed first', OcpiStatus.ClientError, 408);
  }
}

export class BodyTooLargeError extends HubError {
  override name = 'BodyTooLargeError';
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`, OcpiStatus.InvalidParameters, 413);
  }
}

/** HTTP 401: missing or unknown credentials token, or token A outside versions/credentials. */
export class UnauthorizedError extends HubError {
  override name = 'UnauthorizedError';
  constructor(message = 'missing or unknown credentials token') {
    super(message, OcpiStatus.ClientError, 401);
  }
}

/** HTTP 404 for GET of an unknown object. */
export class NotFoundError extends HubError {
  override name = 'NotFoundError';
  constructor(message: string, ocpiStatus: number = OcpiStatus.ClientError) {
    super(message, ocpiStatus, 404);
  }
}

/** HTTP 405: e.g. credentials POST when registered, PUT/DELETE when not. */
export class MethodNotAllowedError extends HubError {
  override name = 'MethodNotAllowedError';
  constructor(message: string) {
    super(message, OcpiStatus.ClientError, 405);
  }
}

export class ClientApiError extends HubError {
  override name = 'ClientApiError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, OcpiStatus.UnableToUseClientApi, 200, options);
  }
}

export class UnsupportedVersionError extends HubError {
  override name = 'UnsupportedVersionError';
  constructor(message: string) {
    super(message, OcpiStatus.UnsupportedVersion);
  }
}

export class NoMatchingEndpointsError extends HubError {
  override name = 'NoMatchingEndpointsError';
  constructor(message: string) {
    super(message, OcpiStatus.NoMatchingEndpoints);
  }
}

export class UnknownReceiverError extends HubError {
  override name = 'UnknownReceiverError';
  constructor(message: string) {
    super(message, OcpiStatus.UnknownReceiver);
  }
}

export class HubTimeoutError extends HubError {
  override name = 'HubTimeoutError';
  constructor(message: string) {
    super(message, OcpiStatus.HubTimeout);
  }
}

export class ReceiverNotConnectedError extends HubError {
  override name = 'ReceiverNotConnectedError';
  constructor(message: string) {
    super(message, OcpiStatus.ReceiverNotConnected);
  }
}

/** Admin API: wrong or missing admin credential. */
export class AdminUnauthorizedError extends HubError {
  override name = 'AdminUnauthorizedError';
  constructor() {
    super('admin credential required', OcpiStatus.ClientError, 401);
  }
}
