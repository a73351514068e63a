// Validation of OCPI 2.2.1 objects by type name, with errors as `{ path, message }` in plain words.
// Used by the HTTP layer (request bodies, status 2001) and by `hub ocpi validate`.
import type { z } from 'zod';
import { formatZodIssues, type ValidationError } from './schemas/issues.ts';
import {
  schemaFor,
  type OcpiPatch,
  type OcpiTypeName,
  type OcpiValue,
  type PatchableTypeName,
} from './schemas/registry.ts';
import { findUnknownFields } from './schemas/unknownFields.ts';

export { formatZodIssues, formatPath, type ValidationError } from './schemas/issues.ts';
export {
  isOcpiTypeName,
  isPatchableTypeName,
  ocpiTypeNames,
  patchableTypeNames,
  schemaFor,
  type OcpiPatch,
  type OcpiTypeName,
  type OcpiValue,
  type PatchableTypeName,
} from './schemas/registry.ts';

/** `warnings` lists fields OCPI does not define; they never make a value invalid. */
export type ValidationResult<T> =
  | { ok: true; value: T; warnings: ValidationError[] }
  | { ok: false; errors: ValidationError[]; warnings: ValidationError[] };

export interface ValidateOptions {
  /** Validate a PATCH body: every field optional except `last_updated`. */
  partial?: boolean;
  /** List fields OCPI does not define as warnings (default true; the hub's hot path skips it). */
  warnings?: boolean;
}

export function validate<T extends PatchableTypeName>(type: T, value: unknown, opts: { partial: true }): ValidationResult<OcpiPatch<T>>;
export function validate<T extends OcpiTypeName>(type: T, value: unknown, opts?: { partial?: false }): ValidationResult<OcpiValue<T>>;
export function validate(type: OcpiTypeName, value: unknown, opts?: ValidateOptions): ValidationResult<unknown>;
export function validate(type: OcpiTypeName, value: unknown, opts: ValidateOptions = {}): ValidationResult<unknown> {
  const schema: z.ZodType = schemaFor(type, opts.partial ?? false);
  const warnings = opts.warnings === false ? [] : findUnknownFields(schema, value);
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data, warnings };
  return { ok: false, errors: formatZodIssues(result.error), warnings };
}

// A status_message is read by people; past this many the rest is noise.
const MAX_DESCRIBED_ERRORS = 10;

/**
 * One line for an OCPI `status_message`, e.g.
 * `Invalid cdr: total_cost.excl_vat: required field missing; id: must be at most 39 characters`.
 */
export function describeErrors(type: string, errors: readonly ValidationError[]): string;
export function describeErrors(errors: readonly ValidationError[]): string;
export function describeErrors(typeOrErrors: string | readonly ValidationError[], maybeErrors?: readonly ValidationError[]): string {
  const [type, errors] = typeof typeOrErrors === 'string' ? [typeOrErrors, maybeErrors ?? []] : ['object', typeOrErrors];
  const shown = errors.slice(0, MAX_DESCRIBED_ERRORS).map((e) => `${e.path}: ${e.message}`);
  if (errors.length > MAX_DESCRIBED_ERRORS) shown.push(`and ${errors.length - MAX_DESCRIBED_ERRORS} more`);
  const details = shown.join('; ');
  return details === '' ? `Invalid ${type}` : `Invalid ${type}: ${details}`;
}
