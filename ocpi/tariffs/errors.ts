/** The input cannot be priced as given (malformed field, unknown time zone, no tariff). `path` names the field. */
export class PricingInputError extends Error {
  override name = 'PricingInputError';
  readonly path: string | undefined;

  constructor(message: string, path?: string) {
    super(message);
    this.path = path;
  }
}
