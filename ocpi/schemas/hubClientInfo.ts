// HubClientInfo module (mod_hub_client_info.asciidoc).
import { z } from 'zod';
import { ConnectionStatusSchema, RoleSchema } from './enums.ts';
import { ciString, dateTime } from './primitives.ts';

export const ClientInfoSchema = z.object({
  party_id: ciString(3),
  country_code: ciString(2),
  role: RoleSchema,
  status: ConnectionStatusSchema,
  last_updated: dateTime(),
});
export type ClientInfo = z.infer<typeof ClientInfoSchema>;
