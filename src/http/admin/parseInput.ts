import type { z } from 'zod';
import { InvalidParametersError } from '../../errors.ts';

/** Admin API input through a zod schema: 2001 naming every wrong field. */
export function parseInput<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({ path: i.path.join('.') || '$', message: i.message }));
    throw new InvalidParametersError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  return result.data;
}
