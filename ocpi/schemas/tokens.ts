// Tokens module (mod_tokens.asciidoc).
import { z } from 'zod';
import { AllowedTypeSchema, ProfileTypeSchema, TokenTypeSchema, WhitelistTypeSchema } from './enums.ts';
import { patchOf } from './patch.ts';
import { ciString, dateTime, list, ocpiString, optional } from './primitives.ts';
import { DisplayTextSchema } from './types.ts';

export const EnergyContractSchema = z.object({
  supplier_name: ocpiString(64),
  contract_id: optional(ocpiString(64)),
});
export type EnergyContract = z.infer<typeof EnergyContractSchema>;

const tokenShape = {
  country_code: ciString(2),
  party_id: ciString(3),
  uid: ciString(36),
  type: TokenTypeSchema,
  contract_id: ciString(36),
  visual_number: optional(ocpiString(64)),
  issuer: ocpiString(64),
  group_id: optional(ciString(36)),
  valid: z.boolean(),
  whitelist: WhitelistTypeSchema,
  language: optional(ocpiString(2)),
  default_profile_type: optional(ProfileTypeSchema),
  energy_contract: optional(EnergyContractSchema),
  last_updated: dateTime(),
};
export const TokenSchema = z.object(tokenShape);
export type Token = z.infer<typeof TokenSchema>;
export const TokenPatchSchema = patchOf(tokenShape);
export type TokenPatch = z.infer<typeof TokenPatchSchema>;

export const LocationReferencesSchema = z.object({
  location_id: ciString(36),
  evse_uids: list(ciString(36)),
});
export type LocationReferences = z.infer<typeof LocationReferencesSchema>;

export const AuthorizationInfoSchema = z.object({
  allowed: AllowedTypeSchema,
  token: TokenSchema,
  location: optional(LocationReferencesSchema),
  authorization_reference: optional(ciString(36)),
  info: optional(DisplayTextSchema),
});
export type AuthorizationInfo = z.infer<typeof AuthorizationInfoSchema>;
