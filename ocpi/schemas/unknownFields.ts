// Fields a partner sent that OCPI 2.2.1 does not define. They are not errors (real partners add
// custom fields, and zod drops them while parsing), but a misspelt optional field such as `floor`
// for `floor_level` would otherwise vanish silently, so validation reports them as warnings.
import { z } from 'zod';
import { formatPath, type ValidationError } from './issues.ts';

export const UNKNOWN_FIELD_MESSAGE = 'unknown field, ignored (not part of OCPI 2.2.1)';

export function findUnknownFields(schema: z.ZodType, value: unknown): ValidationError[] {
  const found: PropertyKey[][] = [];
  walk(schema, value, [], found);
  return found.map((path) => ({ path: formatPath(path), message: UNKNOWN_FIELD_MESSAGE }));
}

function walk(schema: z.ZodType, value: unknown, path: PropertyKey[], found: PropertyKey[][]): void {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    walk(schema.unwrap() as z.ZodType, value, path, found);
  } else if (schema instanceof z.ZodArray) {
    if (Array.isArray(value)) value.forEach((item, i) => walk(schema.element as z.ZodType, item, [...path, i], found));
  } else if (schema instanceof z.ZodObject) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const shape = schema.shape as Record<string, z.ZodType>;
    for (const [key, fieldValue] of Object.entries(value)) {
      if (Object.hasOwn(shape, key)) walk(shape[key], fieldValue, [...path, key], found);
      else found.push([...path, key]);
    }
  }
}
