// PayPal's errors as the clearing house sees them, in a module of their own so code that only
// inspects errors (refunds, reconciliation) does not load the SDK.
export class PayPalApiError extends Error {
  override name = 'PayPalApiError';
  constructor(message: string, readonly status: number, readonly body: { name?: string; message?: string; details?: { issue?: string; field?: string }[]; links?: { href: string; rel: string }[] } | undefined) {
    super(message);
  }
  get issue(): string | undefined {
    return this.body?.details?.[0]?.issue ?? this.body?.name;
  }
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}
