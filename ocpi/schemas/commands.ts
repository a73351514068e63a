// Commands module (mod_commands.asciidoc): the five requests, the synchronous CommandResponse and
// the asynchronous CommandResult posted to response_url.
import { z } from 'zod';
import { CommandResponseTypeSchema, CommandResultTypeSchema } from './enums.ts';
import { ciString, dateTime, int, list, optional, url } from './primitives.ts';
import { TokenSchema } from './tokens.ts';
import { DisplayTextSchema } from './types.ts';

export const CancelReservationSchema = z.object({
  response_url: url(),
  reservation_id: ciString(36),
});
export type CancelReservation = z.infer<typeof CancelReservationSchema>;

export const ReserveNowSchema = z.object({
  response_url: url(),
  token: TokenSchema,
  expiry_date: dateTime(),
  reservation_id: ciString(36),
  location_id: ciString(36),
  evse_uid: optional(ciString(36)),
  authorization_reference: optional(ciString(36)),
});
export type ReserveNow = z.infer<typeof ReserveNowSchema>;

export const StartSessionSchema = z
  .object({
    response_url: url(),
    token: TokenSchema,
    location_id: ciString(36),
    evse_uid: optional(ciString(36)),
    connector_id: optional(ciString(36)),
    authorization_reference: optional(ciString(36)),
  })
  // A connector id means nothing without its EVSE: "Required when connector_id is set".
  .refine((start) => start.connector_id == null || start.evse_uid != null, {
    path: ['evse_uid'],
    message: 'required when connector_id is set',
  });
export type StartSession = z.infer<typeof StartSessionSchema>;

export const StopSessionSchema = z.object({
  response_url: url(),
  session_id: ciString(36),
});
export type StopSession = z.infer<typeof StopSessionSchema>;

export const UnlockConnectorSchema = z.object({
  response_url: url(),
  location_id: ciString(36),
  evse_uid: ciString(36),
  connector_id: ciString(36),
});
export type UnlockConnector = z.infer<typeof UnlockConnectorSchema>;

export const CommandResponseSchema = z.object({
  result: CommandResponseTypeSchema,
  timeout: int(),
  message: list(DisplayTextSchema),
});
export type CommandResponse = z.infer<typeof CommandResponseSchema>;

export const CommandResultSchema = z.object({
  result: CommandResultTypeSchema,
  message: list(DisplayTextSchema),
});
export type CommandResult = z.infer<typeof CommandResultSchema>;
