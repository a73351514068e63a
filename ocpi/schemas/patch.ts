// PATCH bodies (transport_and_format.asciidoc, and the PATCH rules of Locations, Sessions and Tokens):
// any subset of the fields, but "Any request to the PATCH method SHALL contain the last_updated field".
// Fields sent in a PATCH keep their own rules: a required field cannot be patched to null.
import { z } from 'zod';
import { dateTime } from './primitives.ts';

export function patchOf<Shape extends z.ZodRawShape & { last_updated: z.ZodString }>(shape: Shape) {
  return z.object(shape).partial().extend({ last_updated: dateTime() });
}
