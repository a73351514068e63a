// Turns a request body into a typed OCPI object or an InvalidParametersError (2001) that names
// every wrong field. Handlers never see unvalidated input.
import { validate, describeErrors, type OcpiTypeName } from '../../ocpi/validate.ts';
import { InvalidParametersError } from '../errors.ts';

export function parseOcpi<T>(type: OcpiTypeName, body: unknown, options: { partial?: boolean } = {}): T {
  if (body === undefined) throw new InvalidParametersError(`a ${type} object is required in the request body`, [{ path: '$', message: 'request body missing' }]);
  // Unknown fields are passed on, not reported: skip looking for them on every request.
  const result = validate(type, body, { ...options, warnings: false });
  if (!result.ok) throw new InvalidParametersError(describeErrors(type, result.errors), result.errors);
  // The body as sent, not zod's parsed copy: fields OCPI does not define are passed on, not dropped.
  return body as T;
}
