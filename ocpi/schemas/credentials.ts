// Credentials module (credentials.asciidoc).
import { z } from 'zod';
import { RoleSchema } from './enums.ts';
import { ciString, nonEmptyList, ocpiString, url } from './primitives.ts';
import { BusinessDetailsSchema } from './types.ts';

// The token travels in the Authorization header, hence "printable non-whitespace ASCII" (U+0021–U+007E).
const credentialsToken = () =>
  ocpiString(64).refine((token) => /^[\x21-\x7e]*$/.test(token), {
    message: 'must contain only printable ASCII characters without spaces (U+0021 to U+007E)',
  });

export const CredentialsRoleSchema = z.object({
  role: RoleSchema,
  business_details: BusinessDetailsSchema,
  party_id: ciString(3),
  country_code: ciString(2),
});
export type CredentialsRole = z.infer<typeof CredentialsRoleSchema>;

export const CredentialsSchema = z.object({
  token: credentialsToken(),
  url: url(),
  roles: nonEmptyList(CredentialsRoleSchema),
});
export type Credentials = z.infer<typeof CredentialsSchema>;
