// PayPal for the clearing house: the official server SDK (@paypal/paypal-server-sdk) for OAuth,
// Orders (collect from net payers), Payments (refunds) and Transaction Search (reconciliation),
// plus a small typed client for the Payouts REST API (not in the SDK) that takes its OAuth token
// from the SDK. The SDK has no base-URL option: for the local stand-in, an axios adapter passed
// in `unstable_httpClientOptions` sends its requests to PAYPAL_BASE_URL (with fetch, so axios
// need not be a direct dependency).
import {
  ApiError,
  CheckoutPaymentIntent,
  Client,
  Environment,
  OrdersController,
  PaymentsController,
  TransactionSearchController,
} from '@paypal/paypal-server-sdk';
import type { Config } from '../../config.ts';
import { PayPalApiError } from './errors.ts';
import { trimTrailingSlashes } from '../../trimTrailingSlashes.ts';

export { PayPalApiError };

export interface Money {
  currency: string;
  value: string;
}

export interface OrderView {
  id: string;
  status: string;
  approvalUrl: string | null;
  capture?: { id: string; status: string; amount: Money } | null;
}

export interface RefundView {
  id: string;
  /** COMPLETED, PENDING, FAILED or CANCELLED. */
  status: string;
  amount: Money | null;
}

export interface PayoutItemView {
  payoutItemId: string;
  transactionId: string | null;
  status: string;
  senderItemId: string | null;
  amount: Money;
  error: string | null;
}

export interface TransactionView {
  id: string;
  eventCode: string;
  status: string;
  amount: Money;
  invoiceId: string | null;
  customField: string | null;
  at: string;
}

export interface PayPalGateway {
  createOrder(input: { requestId: string; amount: Money; invoiceId: string; customId: string; referenceId: string; description: string }): Promise<OrderView>;
  getOrder(id: string): Promise<OrderView>;
  captureOrder(id: string, requestId: string): Promise<OrderView>;
  refundCapture(captureId: string, input: { requestId: string; amount: Money; invoiceId: string; note: string }): Promise<RefundView>;
  getRefund(id: string): Promise<RefundView>;
  createPayout(input: { senderBatchId: string; subject: string; items: { senderItemId: string; receiver: string; recipientType: string; amount: Money; note: string }[] }): Promise<{ payoutBatchId: string; status: string; duplicate: boolean }>;
  getPayout(payoutBatchId: string): Promise<{ status: string; items: PayoutItemView[] }>;
  searchTransactions(range: { start: Date; end: Date }): Promise<TransactionView[]>;
}

export interface PayPalClientOptions {
  environment: 'sandbox' | 'production' | 'standin';
  clientId: string;
  clientSecret: string;
  baseUrl?: string;
  timeoutMs?: number;
  /** Retries of 5xx, 429 and timeouts, always with the same ids (default 4). */
  retries?: number;
  backoffMs?: number;
}

const HOSTS = { sandbox: 'https://api-m.sandbox.paypal.com', production: 'https://api-m.paypal.com' } as const;

/** An axios adapter on fetch that sends the SDK's requests to another base URL. */
function rebasingAdapter(from: string, to: string) {
  return async (cfg: any) => {
    const url = String(cfg.url).replace(from, to);
    const headers: Record<string, string> = {};
    const source = typeof cfg.headers?.toJSON === 'function' ? cfg.headers.toJSON() : (cfg.headers ?? {});
    for (const [k, v] of Object.entries(source)) if (v != null && v !== false) headers[k] = String(v);
    if (cfg.auth) headers.Authorization = `Basic ${Buffer.from(`${cfg.auth.username}:${cfg.auth.password ?? ''}`).toString('base64')}`;
    const response = await fetch(url, { method: String(cfg.method ?? 'get').toUpperCase(), headers, body: cfg.data ?? undefined, signal: cfg.timeout ? AbortSignal.timeout(cfg.timeout) : undefined });
    const text = await response.text();
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => (responseHeaders[k] = v));
    return { data: text, status: response.status, statusText: response.statusText, headers: responseHeaders, config: cfg, request: {} };
  };
}

export function paypalOptionsFromConfig(config: Config, overrides: Partial<PayPalClientOptions> = {}): PayPalClientOptions {
  if (!config.PAYPAL_CLIENT_ID || !config.PAYPAL_CLIENT_SECRET) throw new Error('settling needs PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET');
  if (config.PAYPAL_ENVIRONMENT === 'standin' && !config.PAYPAL_BASE_URL) throw new Error('PAYPAL_ENVIRONMENT=standin needs PAYPAL_BASE_URL');
  return { environment: config.PAYPAL_ENVIRONMENT, clientId: config.PAYPAL_CLIENT_ID, clientSecret: config.PAYPAL_CLIENT_SECRET, baseUrl: config.PAYPAL_BASE_URL, ...overrides };
}

export function createPayPal(options: PayPalClientOptions): PayPalGateway {
  const timeout = options.timeoutMs ?? 10_000;
  const sdkHost = options.environment === 'production' ? HOSTS.production : HOSTS.sandbox;
  const baseUrl = trimTrailingSlashes(options.environment === 'standin' ? (options.baseUrl as string) : (options.baseUrl ?? sdkHost));
  const client = new Client({
    environment: options.environment === 'production' ? Environment.Production : Environment.Sandbox,
    clientCredentialsAuthCredentials: { oAuthClientId: options.clientId, oAuthClientSecret: options.clientSecret },
    timeout,
    ...(baseUrl !== sdkHost ? { unstable_httpClientOptions: { adapter: rebasingAdapter(sdkHost, baseUrl) } } : {}),
  });
  const orders = new OrdersController(client);
  const payments = new PaymentsController(client);
  const reporting = new TransactionSearchController(client);
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 250;

  async function attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await call();
      } catch (err) {
        const e = toPayPalError(what, err);
        if (!e.retryable || i >= retries) throw e;
        await new Promise((r) => setTimeout(r, backoff * 2 ** i));
      }
    }
  }

  let token: { value: string; expires: number } | undefined;
  async function bearer(): Promise<string> {
    if (!token || token.expires < Date.now() + 60_000) {
      const t = await client.clientCredentialsAuthManager.fetchToken();
      token = { value: t.accessToken, expires: Date.now() + Number(t.expiresIn ?? 3600n) * 1000 };
    }
    return token.value;
  }

  async function rest<T>(method: string, path: string, body?: unknown, requestId?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await bearer()}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (requestId) headers['PayPal-Request-Id'] = requestId;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeout) });
    } catch (err) {
      throw new PayPalApiError(`${method} ${path}: ${(err as Error).message}`, 0, undefined);
    }
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (response.status === 401) token = undefined;
    if (!response.ok) throw new PayPalApiError(`${method} ${path}: ${response.status} ${parsed?.name ?? ''} ${parsed?.details?.[0]?.issue ?? parsed?.message ?? ''}`.trim(), response.status, parsed);
    return parsed as T;
  }

  const orderView = (o: any): OrderView => {
    const capture = o.purchaseUnits?.[0]?.payments?.captures?.[0];
    return {
      id: o.id,
      status: o.status,
      approvalUrl: o.links?.find((l: any) => l.rel === 'approve' || l.rel === 'payer-action')?.href ?? null,
      capture: capture ? { id: capture.id, status: capture.status, amount: { currency: capture.amount?.currencyCode, value: capture.amount?.value } } : null,
    };
  };

  return {
    createOrder: (input) =>
      attempt('create order', async () => {
        const { result } = await orders.createOrder({
          paypalRequestId: input.requestId,
          prefer: 'return=representation',
          body: {
            intent: CheckoutPaymentIntent.Capture,
            purchaseUnits: [{ referenceId: input.referenceId, amount: { currencyCode: input.amount.currency, value: input.amount.value }, invoiceId: input.invoiceId, customId: input.customId, description: input.description }],
          },
        });
        return orderView(result);
      }),
    getOrder: (id) => attempt('get order', async () => orderView((await orders.getOrder({ id })).result)),
    captureOrder: (id, requestId) => attempt('capture order', async () => orderView((await orders.captureOrder({ id, paypalRequestId: requestId, prefer: 'return=representation' })).result)),
    refundCapture: (captureId, input) =>
      attempt('refund', async () => {
        const { result } = await payments.refundCapturedPayment({
          captureId,
          paypalRequestId: input.requestId,
          prefer: 'return=representation',
          body: { amount: { currencyCode: input.amount.currency, value: input.amount.value }, invoiceId: input.invoiceId, noteToPayer: input.note },
        });
        return refundView(result);
      }),
    getRefund: (id) => attempt('get refund', async () => refundView((await payments.getRefund({ refundId: id })).result)),
    createPayout: (input) =>
      attempt('create payout', async () => {
        const body = {
          sender_batch_header: { sender_batch_id: input.senderBatchId, recipient_type: 'EMAIL', email_subject: input.subject, email_message: input.subject },
          items: input.items.map((i) => ({ recipient_type: i.recipientType, amount: { value: i.amount.value, currency: i.amount.currency }, receiver: i.receiver, note: i.note, sender_item_id: i.senderItemId, recipient_wallet: 'PAYPAL', purpose: 'SERVICES' })),
        };
        try {
          const out = await rest<{ batch_header: { payout_batch_id: string; batch_status: string } }>('POST', '/v1/payments/payouts', body, input.senderBatchId);
          return { payoutBatchId: out.batch_header.payout_batch_id, status: out.batch_header.batch_status, duplicate: false };
        } catch (err) {
          // A sender_batch_id used before: PayPal refuses it and links the original batch.
          const e = err as PayPalApiError;
          const link = e.body?.links?.find((l) => l.rel === 'self')?.href;
          if (e.status === 400 && e.body?.name === 'USER_BUSINESS_ERROR' && link) return { payoutBatchId: link.split('/').pop() as string, status: 'UNKNOWN', duplicate: true };
          throw err;
        }
      }),
    getPayout: async (payoutBatchId) => {
      // Batch details come in pages of at most 1000 items: a batch with more payees is read page by page.
      const pageSize = 1000;
      let status = '';
      const items: PayoutItemView[] = [];
      for (let page = 1; ; page++) {
        const out = await attempt('get payout', () => rest<any>('GET', `/v1/payments/payouts/${encodeURIComponent(payoutBatchId)}?page=${page}&page_size=${pageSize}`));
        if (page === 1) status = out.batch_header.batch_status;
        const pageItems: any[] = out.items ?? [];
        for (const i of pageItems) {
          items.push({
            payoutItemId: i.payout_item_id,
            transactionId: i.transaction_id ?? null,
            status: i.transaction_status,
            senderItemId: i.payout_item?.sender_item_id ?? null,
            amount: { currency: i.payout_item?.amount?.currency, value: i.payout_item?.amount?.value },
            error: i.errors?.name ?? null,
          });
        }
        const next = (out.links ?? []).some((l: { rel?: string }) => l.rel === 'next');
        if (pageItems.length < pageSize && !next) return { status, items };
        if (pageItems.length === 0) return { status, items };
      }
    },
    searchTransactions: async ({ start, end }) => {
      const out: TransactionView[] = [];
      for (let page = 1; ; page++) {
        const { result } = await attempt('search transactions', () => reporting.searchTransactions({ startDate: start.toISOString(), endDate: end.toISOString(), fields: 'transaction_info', pageSize: 500, page }));
        for (const t of result.transactionDetails ?? []) {
          const info = t.transactionInfo ?? {};
          out.push({
            id: info.transactionId ?? '',
            eventCode: info.transactionEventCode ?? '',
            status: info.transactionStatus ?? '',
            amount: { currency: info.transactionAmount?.currencyCode ?? '', value: info.transactionAmount?.value ?? '0' },
            invoiceId: info.invoiceId ?? null,
            customField: info.customField ?? null,
            at: info.transactionInitiationDate ?? '',
          });
        }
        if (!result.totalPages || page >= result.totalPages) return out;
      }
    },
  };
}

const refundView = (r: { id?: string; status?: string; amount?: { currencyCode?: string; value?: string } }): RefundView => ({
  id: r.id as string,
  status: r.status as string,
  amount: r.amount?.currencyCode && r.amount.value ? { currency: r.amount.currencyCode, value: r.amount.value } : null,
});

function toPayPalError(what: string, err: unknown): PayPalApiError {
  if (err instanceof PayPalApiError) return err;
  if (err instanceof ApiError) {
    let body: any = (err as any).result;
    if (!body && typeof err.body === 'string') {
      try {
        body = JSON.parse(err.body);
      } catch {
        body = undefined;
      }
    }
    return new PayPalApiError(`${what}: ${err.statusCode} ${body?.name ?? ''} ${body?.details?.[0]?.issue ?? body?.message ?? ''}`.trim(), err.statusCode, body);
  }
  // Network errors and timeouts: retryable, status 0.
  return new PayPalApiError(`${what}: ${(err as Error)?.message ?? String(err)}`, 0, undefined);
}
