// OCPI 2.2.1 status codes (status_codes.asciidoc). There is no 4004.
export const OcpiStatus = {
  Success: 1000,
  ClientError: 2000,
  InvalidParameters: 2001,
  NotEnoughInformation: 2002,
  UnknownLocation: 2003,
  UnknownToken: 2004,
  ServerError: 3000,
  UnableToUseClientApi: 3001,
  UnsupportedVersion: 3002,
  NoMatchingEndpoints: 3003,
  HubError: 4000,
  UnknownReceiver: 4001,
  HubTimeout: 4002,
  ReceiverNotConnected: 4003,
} as const;

export type OcpiStatusCode = (typeof OcpiStatus)[keyof typeof OcpiStatus];

export function isSuccess(code: number): boolean {
  return code >= 1000 && code < 2000;
}
