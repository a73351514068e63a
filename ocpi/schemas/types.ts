// Classes shared by several modules: DisplayText and Price (types.asciidoc), and BusinessDetails
// with its Image (defined in mod_locations.asciidoc, but used by Credentials as well).
import { z } from 'zod';
import { ImageCategorySchema } from './enums.ts';
import { ciString, dateTime, intDigits, number, ocpiString, optional, url } from './primitives.ts';

/** DateTime: RFC 3339 in UTC without offset, e.g. 2015-06-29T20:39:09Z. */
export const DateTimeSchema = dateTime();
export type DateTime = z.infer<typeof DateTimeSchema>;

export const DisplayTextSchema = z.object({
  language: ocpiString(2),
  text: ocpiString(512),
});
export type DisplayText = z.infer<typeof DisplayTextSchema>;

export const PriceSchema = z.object({
  excl_vat: number(),
  incl_vat: optional(number()),
});
export type Price = z.infer<typeof PriceSchema>;

export const ImageSchema = z.object({
  url: url(),
  thumbnail: optional(url()),
  category: ImageCategorySchema,
  type: ciString(4),
  width: optional(intDigits(5)),
  height: optional(intDigits(5)),
});
export type Image = z.infer<typeof ImageSchema>;

export const BusinessDetailsSchema = z.object({
  name: ocpiString(100),
  website: optional(url()),
  logo: optional(ImageSchema),
});
export type BusinessDetails = z.infer<typeof BusinessDetailsSchema>;
