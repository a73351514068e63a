// Version information endpoints (version_information_endpoint.asciidoc).
import { z } from 'zod';
import { InterfaceRoleSchema, ModuleIdSchema, VersionNumberSchema } from './enums.ts';
import { nonEmptyList, url } from './primitives.ts';

export const VersionSchema = z.object({
  version: VersionNumberSchema,
  url: url(),
});
export type Version = z.infer<typeof VersionSchema>;

/** The `data` of GET {versions_url}: "Version | +". */
export const VersionsSchema = nonEmptyList(VersionSchema);
export type Versions = z.infer<typeof VersionsSchema>;

export const EndpointSchema = z.object({
  identifier: ModuleIdSchema,
  role: InterfaceRoleSchema,
  url: url(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

/** The `data` of GET {version_details_url}. */
export const VersionDetailsSchema = z.object({
  version: VersionNumberSchema,
  endpoints: nonEmptyList(EndpointSchema),
});
export type VersionDetails = z.infer<typeof VersionDetailsSchema>;
