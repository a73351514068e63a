// A local PayPal stand-in for tests and the demo: OAuth token, Orders v2 (create/get/capture),
// Payments (refund create/get), Payouts v1 (create/get/item) and Transaction Search. Strict about request
// shapes (PayPal-style error bodies), enforces PayPal-Request-Id idempotency and sender_batch_id
// uniqueness, refuses the currencies PayPal does not take (CURRENCY_NOT_SUPPORTED, 422), refuses
// to capture a second payment with an invoice_id already paid (DUPLICATE_INVOICE_ID, 422, as
// PayPal does at capture for accounts requiring unique invoice ids), expires orders on request
// (as PayPal does with orders nobody captured), and injects failures (5xx, 429, timeouts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { toUnits } from '../../money.ts';
import { paypalSupports } from '../currencies.ts';

export interface Fault {
  /** Method and path pattern, e.g. "POST /v1/payments/payouts". */
  match: RegExp;
  kind: 500 | 503 | 429 | 'timeout';
  /** How many matching requests fail (default 1). */
  times?: number;
}

type Json = Record<string, any>;

interface StoredResponse {
  bodyHash: string;
  status: number;
  body: Json;
}

interface Transaction {
  transaction_id: string;
  event_code: string;
  status: 'S' | 'P' | 'D' | 'V';
  amount: { currency_code: string; value: string };
  invoice_id?: string;
  custom_field?: string;
  at: string;
}

const AMOUNT = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;
const CURRENCY = /^[A-Z]{3}$/;

class PayPalError extends Error {
  constructor(readonly status: number, readonly body: Json) {
    super(body.message);
  }
}

const id = (prefix = '') => `${prefix}${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`;
const debugId = () => randomBytes(6).toString('hex');

function validation(details: { field: string; issue: string; description: string; location?: string }[], status = 400, name = 'INVALID_REQUEST'): PayPalError {
  return new PayPalError(status, {
    name,
    message: status === 422 ? 'The requested action could not be performed, semantically incorrect, or failed business validation.' : 'Request is not well-formed, syntactically incorrect, or violates schema.',
    debug_id: debugId(),
    details: details.map((d) => ({ location: 'body', value: undefined, ...d })),
    links: [{ href: 'https://developer.paypal.com/docs/api/orders/v2/#error-' + details[0]?.issue, rel: 'information_link', method: 'GET' }],
  });
}

export interface StandInOptions {
  clientId: string;
  clientSecret: string;
  /** Receivers whose payout items FAIL (e.g. unregistered accounts). */
  failingReceivers?: Set<string>;
  /** Receivers whose payout items stay UNCLAIMED. */
  unclaimedReceivers?: Set<string>;
}

export class PayPalStandIn {
  server?: Server;
  url = '';
  readonly faults: Fault[] = [];
  readonly requests: { method: string; path: string; requestId?: string }[] = [];
  readonly orders = new Map<string, Json>();
  readonly captures = new Map<string, Json>();
  readonly refunds = new Map<string, Json>();
  private readonly refundedUnits = new Map<string, bigint>();
  /** When set, refunds are answered PENDING and complete only through completeRefund (as eCheck-funded captures do). */
  pendingRefunds = false;
  readonly batches = new Map<string, Json>();
  readonly items = new Map<string, Json>();
  readonly transactions: Transaction[] = [];
  private readonly tokens = new Set<string>();
  private readonly idempotency = new Map<string, StoredResponse>();
  private readonly senderBatchIds = new Map<string, string>();
  private readonly invoiceIds = new Set<string>();
  readonly failingReceivers: Set<string>;
  readonly unclaimedReceivers: Set<string>;

  constructor(readonly options: StandInOptions) {
    this.failingReceivers = options.failingReceivers ?? new Set();
    this.unclaimedReceivers = options.unclaimedReceivers ?? new Set();
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** What the payer does in the browser: approve the order. */
  approve(orderId: string): void {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    if (order.status === 'CREATED') order.status = 'APPROVED';
  }

  /**
   * PayPal expiring an order nobody captured in time: from then on PayPal answers for it as for an
   * id it never issued (GET and capture: 404 RESOURCE_NOT_FOUND, issue INVALID_RESOURCE_ID).
   */
  expire(orderId: string): void {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    if (order.status === 'COMPLETED') throw new Error(`order ${orderId} is captured; it does not expire`);
    this.orders.delete(orderId);
  }

  /** PayPal forgetting the PayPal-Request-Ids it stored (Orders keep them 6 hours by default). */
  forgetRequestIds(): void {
    this.idempotency.clear();
  }

  /** PayPal finishing a PENDING refund: it becomes COMPLETED and shows in Transaction Search. */
  completeRefund(refundId: string): void {
    const refund = this.refunds.get(refundId);
    if (!refund || refund.status !== 'PENDING') throw new Error(`no pending refund ${refundId}`);
    refund.status = 'COMPLETED';
    this.recordRefund(refund);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });
    const requestId = req.headers['paypal-request-id'] as string | undefined;
    this.requests.push({ method, path: url.pathname, requestId });
    const send = (status: number, body: Json | undefined, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Paypal-Debug-Id': debugId(), ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && f.match.test(`${method} ${url.pathname}`));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.kind === 'timeout') return; // never answer; the client times out
      if (fault.kind === 429) return send(429, { name: 'RATE_LIMIT_REACHED', message: 'Too many requests. Blocked due to rate limiting.', debug_id: debugId() }, { 'Retry-After': '1' });
      return send(fault.kind, { name: 'INTERNAL_SERVICE_ERROR', message: 'An internal service error has occurred.', debug_id: debugId() });
    }
    try {
      if (method === 'POST' && url.pathname === '/v1/oauth2/token') return send(200, this.token(req, raw));
      this.authorize(req);
      const body = raw ? this.json(raw) : undefined;
      // PayPal-Request-Id: the same id with the same body returns the stored response; with another body it is refused.
      if (method === 'POST' && requestId) {
        const key = `${url.pathname}|${requestId}`;
        const stored = this.idempotency.get(key);
        if (stored) {
          if (stored.bodyHash !== raw) throw validation([{ field: 'PayPal-Request-Id', location: 'header', issue: 'DUPLICATE_REQUEST_ID', description: 'The value of PayPal-Request-Id header has already been used with a different request body.' }], 422, 'UNPROCESSABLE_ENTITY');
          return send(stored.status, stored.body);
        }
        const [status, out] = this.route(method, url, body);
        if (status < 500) this.idempotency.set(key, { bodyHash: raw, status, body: out });
        return send(status, out);
      }
      const [status, out] = this.route(method, url, body);
      return send(status, out);
    } catch (err) {
      if (err instanceof PayPalError) return send(err.status, err.body);
      return send(500, { name: 'INTERNAL_SERVICE_ERROR', message: (err as Error).message, debug_id: debugId() });
    }
  }

  private json(raw: string): Json {
    try {
      const v = JSON.parse(raw);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      return v;
    } catch {
      throw new PayPalError(400, { name: 'MALFORMED_REQUEST', message: 'The request JSON is not well formed.', debug_id: debugId(), details: [{ field: '/', issue: 'MALFORMED_REQUEST_JSON', description: 'The request JSON is not well formed.' }] });
    }
  }

  private token(req: IncomingMessage, raw: string): Json {
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [cid, secret] = auth ? Buffer.from(auth[1], 'base64').toString().split(':') : [];
    if (cid !== this.options.clientId || secret !== this.options.clientSecret) throw new PayPalError(401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') || new URLSearchParams(raw).get('grant_type') !== 'client_credentials') {
      throw new PayPalError(400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' });
    }
    const token = `A21AA${randomBytes(16).toString('hex')}`;
    this.tokens.add(token);
    return { scope: 'https://uri.paypal.com/services/payments/payouts https://uri.paypal.com/services/reporting/search/read', access_token: token, token_type: 'Bearer', app_id: 'APP-STANDIN', expires_in: 32400, nonce: id() };
  }

  private authorize(req: IncomingMessage): void {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!bearer || !this.tokens.has(bearer[1])) throw new PayPalError(401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.', debug_id: debugId(), links: [] });
  }

  private route(method: string, url: URL, body: Json | undefined): [number, Json] {
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (method === 'POST' && p === '/v2/checkout/orders') return [201, this.createOrder(body ?? {})];
    if (method === 'GET' && (m = /^\/v2\/checkout\/orders\/([^/]+)$/.exec(p))) return [200, this.order(m[1])];
    if (method === 'POST' && (m = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(p))) return [201, this.capture(m[1])];
    if (method === 'POST' && (m = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(p))) return [201, this.refund(m[1], body ?? {})];
    if (method === 'GET' && (m = /^\/v2\/payments\/refunds\/([^/]+)$/.exec(p))) return [200, this.getRefund(m[1])];
    if (method === 'POST' && p === '/v1/payments/payouts') return [201, this.createPayout(body)];
    if (method === 'GET' && (m = /^\/v1\/payments\/payouts\/([^/]+)$/.exec(p))) return [200, this.payout(m[1], url.searchParams)];
    if (method === 'GET' && (m = /^\/v1\/payments\/payouts-item\/([^/]+)$/.exec(p))) return [200, this.item(m[1])];
    if (method === 'GET' && p === '/v1/reporting/transactions') return [200, this.search(url.searchParams)];
    throw new PayPalError(404, { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', debug_id: debugId() });
  }

  private checkAmount(amount: Json | undefined, field: string, currencyKey: 'currency_code' | 'currency'): void {
    if (!amount || typeof amount !== 'object') throw validation([{ field, issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.' }]);
    if (typeof amount[currencyKey] !== 'string' || !CURRENCY.test(amount[currencyKey])) throw validation([{ field: `${field}/${currencyKey}`, issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.' }]);
    if (!paypalSupports(amount[currencyKey])) throw validation([{ field: `${field}/${currencyKey}`, issue: 'CURRENCY_NOT_SUPPORTED', description: 'Currency code is not currently supported. Please refer https://developer.paypal.com/reference/currency-codes/ for list of supported currency codes.' }], 422, 'UNPROCESSABLE_ENTITY');
    if (typeof amount.value !== 'string' || !AMOUNT.test(amount.value)) throw validation([{ field: `${field}/value`, issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' }]);
    const decimals = amount.value.split('.')[1]?.length ?? 0;
    const allowed = ['JPY', 'HUF', 'TWD'].includes(amount[currencyKey]) ? 0 : 2;
    if (decimals > allowed) throw validation([{ field: `${field}/value`, issue: 'DECIMAL_PRECISION', description: 'If the currency supports decimals, only two decimal place precision is supported.' }], 422, 'UNPROCESSABLE_ENTITY');
    if (Number(amount.value) <= 0) throw validation([{ field: `${field}/value`, issue: 'CANNOT_BE_ZERO_OR_NEGATIVE', description: 'Must be greater than zero.' }], 422, 'UNPROCESSABLE_ENTITY');
  }

  private createOrder(body: Json): Json {
    if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE') throw validation([{ field: '/intent', issue: body.intent == null ? 'MISSING_REQUIRED_PARAMETER' : 'INVALID_PARAMETER_VALUE', description: 'intent must be CAPTURE or AUTHORIZE.' }]);
    const units = body.purchase_units;
    if (!Array.isArray(units) || units.length < 1 || units.length > 10) throw validation([{ field: '/purchase_units', issue: 'MISSING_REQUIRED_PARAMETER', description: 'purchase_units must have 1 to 10 items.' }]);
    units.forEach((u: Json, i: number) => {
      this.checkAmount(u.amount, `/purchase_units/@reference_id=='${u.reference_id ?? 'default'}'/amount`, 'currency_code');
      if (u.invoice_id !== undefined && (typeof u.invoice_id !== 'string' || u.invoice_id.length > 127)) throw validation([{ field: `/purchase_units/${i}/invoice_id`, issue: 'INVALID_STRING_LENGTH', description: 'The value of a field is either too short or too long.' }]);
    });
    const orderId = id();
    const order = {
      id: orderId,
      intent: body.intent,
      status: 'CREATED',
      purchase_units: units.map((u: Json) => ({ ...u, reference_id: u.reference_id ?? 'default' })),
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.url}/v2/checkout/orders/${orderId}`, rel: 'self', method: 'GET' },
        { href: `https://www.sandbox.paypal.com/checkoutnow?token=${orderId}`, rel: 'approve', method: 'GET' },
        { href: `${this.url}/v2/checkout/orders/${orderId}/capture`, rel: 'capture', method: 'POST' },
      ],
    };
    this.orders.set(orderId, order);
    return order;
  }

  private order(orderId: string): Json {
    const order = this.orders.get(orderId);
    if (!order) throw new PayPalError(404, { name: 'RESOURCE_NOT_FOUND', details: [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }], message: 'The specified resource does not exist.', debug_id: debugId(), links: [{ href: 'https://developer.paypal.com/docs/api/orders/v2/#error-INVALID_RESOURCE_ID', rel: 'information_link', method: 'GET' }] });
    return order;
  }

  private capture(orderId: string): Json {
    const order = this.order(orderId);
    if (order.status === 'COMPLETED') throw validation([{ field: '', issue: 'ORDER_ALREADY_CAPTURED', description: 'Order already captured.If \'intent=CAPTURE\' only one capture per order is allowed.' }], 422, 'UNPROCESSABLE_ENTITY');
    if (order.status !== 'APPROVED') throw validation([{ field: '', issue: 'ORDER_NOT_APPROVED', description: 'Payer has not yet approved the Order for payment.' }], 422, 'UNPROCESSABLE_ENTITY');
    const unit = order.purchase_units[0];
    // Invoice ids are unique per payment, checked when money moves: several orders may carry one.
    if (unit.invoice_id && this.invoiceIds.has(unit.invoice_id)) throw validation([{ field: '', issue: 'DUPLICATE_INVOICE_ID', description: 'Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction.' }], 422, 'UNPROCESSABLE_ENTITY');
    if (unit.invoice_id) this.invoiceIds.add(unit.invoice_id);
    const capture = { id: id(), status: 'COMPLETED', amount: unit.amount, invoice_id: unit.invoice_id, custom_id: unit.custom_id, final_capture: true, create_time: new Date().toISOString() };
    this.captures.set(capture.id, capture);
    order.status = 'COMPLETED';
    unit.payments = { captures: [capture] };
    this.transactions.push({ transaction_id: capture.id, event_code: 'T0006', status: 'S', amount: unit.amount, invoice_id: unit.invoice_id, custom_field: unit.custom_id, at: capture.create_time });
    return { id: order.id, status: 'COMPLETED', purchase_units: [{ reference_id: unit.reference_id, payments: { captures: [capture] } }], links: order.links };
  }

  private refund(captureId: string, body: Json): Json {
    const capture = this.captures.get(captureId);
    if (!capture) throw new PayPalError(404, { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', debug_id: debugId() });
    const amount = body.amount ?? capture.amount;
    this.checkAmount(amount, '/amount', 'currency_code');
    if (amount.currency_code !== capture.amount.currency_code) throw validation([{ field: '/amount/currency_code', issue: 'CURRENCY_MISMATCH', description: 'Currency of capture must be the same as currency of refund.' }], 422, 'UNPROCESSABLE_ENTITY');
    if (capture.status === 'REFUNDED') throw validation([{ field: '', issue: 'CAPTURE_FULLY_REFUNDED', description: 'The capture has already been fully refunded.' }], 422, 'UNPROCESSABLE_ENTITY');
    // Exact amounts (PayPal compares decimal strings, not floats).
    const refunded = (this.refundedUnits.get(captureId) ?? 0n) + toUnits(amount.value);
    if (refunded > toUnits(capture.amount.value)) throw validation([{ field: '/amount/value', issue: 'REFUND_AMOUNT_EXCEEDED', description: 'The refund amount must be less than or equal to the capture amount that has not yet been refunded.' }], 422, 'UNPROCESSABLE_ENTITY');
    this.refundedUnits.set(captureId, refunded);
    capture.status = refunded === toUnits(capture.amount.value) ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    const refundId = id();
    const refund = {
      id: refundId,
      status: this.pendingRefunds ? 'PENDING' : 'COMPLETED',
      amount,
      invoice_id: body.invoice_id,
      note_to_payer: body.note_to_payer,
      capture_id: captureId,
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.url}/v2/payments/refunds/${refundId}`, rel: 'self', method: 'GET' },
        { href: `${this.url}/v2/payments/captures/${captureId}`, rel: 'up', method: 'GET' },
      ],
    };
    this.refunds.set(refund.id, refund);
    if (refund.status === 'COMPLETED') this.recordRefund(refund);
    const { capture_id: _capture, ...shown } = refund;
    return shown;
  }

  private recordRefund(refund: Json): void {
    const capture = this.captures.get(refund.capture_id)!;
    this.transactions.push({ transaction_id: refund.id, event_code: 'T1107', status: 'S', amount: { currency_code: refund.amount.currency_code, value: `-${refund.amount.value}` }, invoice_id: capture.invoice_id, custom_field: capture.custom_id, at: new Date().toISOString() });
  }

  private getRefund(refundId: string): Json {
    const refund = this.refunds.get(refundId);
    if (!refund) throw new PayPalError(404, { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', debug_id: debugId(), details: [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }] });
    const { capture_id: _capture, ...shown } = refund;
    return shown;
  }

  private createPayout(body: Json | undefined): Json {
    const header = body?.sender_batch_header;
    if (!header || typeof header.sender_batch_id !== 'string' || header.sender_batch_id.length === 0 || header.sender_batch_id.length > 256) {
      throw validation([{ field: 'sender_batch_header.sender_batch_id', issue: 'REQUIRED_FIELD_MISSING', description: 'sender_batch_id is required (1 to 256 characters).' }], 400, 'VALIDATION_ERROR');
    }
    const existing = this.senderBatchIds.get(header.sender_batch_id);
    if (existing) {
      throw new PayPalError(400, {
        name: 'USER_BUSINESS_ERROR',
        message: 'User business error.',
        debug_id: debugId(),
        details: [{ field: 'SENDER_BATCH_ID', location: 'body', issue: `Batch with given sender_batch_id already exists` }],
        links: [{ href: `${this.url}/v1/payments/payouts/${existing}`, rel: 'self', method: 'GET', encType: 'application/json' }],
      });
    }
    const items = body?.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > 15000) throw validation([{ field: 'items', issue: 'ITEMS_COUNT', description: 'A payout must have 1 to 15000 items.' }], 400, 'VALIDATION_ERROR');
    const currencies = new Set<string>();
    items.forEach((item: Json, i: number) => {
      this.checkAmount(item.amount, `items[${i}].amount`, 'currency');
      currencies.add(item.amount.currency);
      if (typeof item.receiver !== 'string' || item.receiver.length === 0) throw validation([{ field: `items[${i}].receiver`, issue: 'REQUIRED_FIELD_MISSING', description: 'Receiver is required.' }], 400, 'VALIDATION_ERROR');
      const type = item.recipient_type ?? header.recipient_type;
      if (!['EMAIL', 'PHONE', 'PAYPAL_ID'].includes(type)) throw validation([{ field: `items[${i}].recipient_type`, issue: 'INVALID_RECIPIENT_TYPE', description: 'recipient_type must be EMAIL, PHONE or PAYPAL_ID.' }], 400, 'VALIDATION_ERROR');
      if (type === 'EMAIL' && !/^[^@\s]+@[^@\s]+$/.test(item.receiver)) throw validation([{ field: `items[${i}].receiver`, issue: 'INVALID_EMAIL', description: 'Receiver is not a valid email address.' }], 400, 'VALIDATION_ERROR');
      if (item.sender_item_id !== undefined && (typeof item.sender_item_id !== 'string' || item.sender_item_id.length > 63)) throw validation([{ field: `items[${i}].sender_item_id`, issue: 'INVALID_LENGTH', description: 'sender_item_id is at most 63 characters.' }], 400, 'VALIDATION_ERROR');
    });
    const batchId = id();
    this.senderBatchIds.set(header.sender_batch_id, batchId);
    const batch = { batch_header: { payout_batch_id: batchId, batch_status: 'PENDING', time_created: new Date().toISOString(), sender_batch_header: header }, item_ids: [] as string[], polls: 0 };
    for (const item of items) {
      const itemId = id();
      batch.item_ids.push(itemId);
      this.items.set(itemId, { payout_item_id: itemId, transaction_status: 'PENDING', payout_batch_id: batchId, sender_batch_id: header.sender_batch_id, payout_item: { ...item, recipient_type: item.recipient_type ?? header.recipient_type }, payout_item_fee: { currency: item.amount.currency, value: '0.00' } });
    }
    this.batches.set(batchId, batch);
    return { batch_header: batch.batch_header, links: [{ href: `${this.url}/v1/payments/payouts/${batchId}`, rel: 'self', method: 'GET' }] };
  }

  /** Items resolve on the first GET after creation (PENDING → SUCCESS / FAILED / UNCLAIMED). */
  private process(batch: Json): void {
    batch.polls += 1;
    if (batch.polls < 1) return;
    for (const itemId of batch.item_ids) {
      const item = this.items.get(itemId)!;
      if (item.transaction_status !== 'PENDING') continue;
      const receiver = item.payout_item.receiver;
      if (this.failingReceivers.has(receiver)) {
        item.transaction_status = 'FAILED';
        item.errors = { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered', information_link: 'https://developer.paypal.com/docs/api/payments.payouts-batch/#errors' };
      } else if (this.unclaimedReceivers.has(receiver)) {
        item.transaction_status = 'UNCLAIMED';
        item.transaction_id = id();
      } else {
        item.transaction_status = 'SUCCESS';
        item.transaction_id = id();
        item.time_processed = new Date().toISOString();
        this.transactions.push({ transaction_id: item.transaction_id, event_code: 'T0000', status: 'S', amount: { currency_code: item.payout_item.amount.currency, value: `-${item.payout_item.amount.value}` }, custom_field: item.payout_item.sender_item_id, at: item.time_processed });
      }
    }
    batch.batch_header.batch_status = 'SUCCESS';
  }

  /** Batch details in pages, as PayPal shows them: page_size 1 to 1000 (default 1000), page from 1. */
  private payout(batchId: string, params: URLSearchParams): Json {
    const batch = this.batches.get(batchId);
    if (!batch) throw new PayPalError(404, { name: 'INVALID_RESOURCE_ID', message: 'Requested resource ID was not found.', debug_id: debugId() });
    const pageSize = Number(params.get('page_size') ?? 1000);
    const page = Number(params.get('page') ?? 1);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw validation([{ field: 'page_size', location: 'query', issue: 'INVALID_PARAMETER_VALUE', description: 'page_size must be 1 to 1000.' }], 400, 'VALIDATION_ERROR');
    if (!Number.isInteger(page) || page < 1) throw validation([{ field: 'page', location: 'query', issue: 'INVALID_PARAMETER_VALUE', description: 'page must be 1 or more.' }], 400, 'VALIDATION_ERROR');
    if (page === 1) this.process(batch);
    const ids: string[] = batch.item_ids.slice((page - 1) * pageSize, page * pageSize);
    const pages = Math.max(1, Math.ceil(batch.item_ids.length / pageSize));
    const link = (n: number, rel: string) => ({ href: `${this.url}/v1/payments/payouts/${batchId}?page=${n}&page_size=${pageSize}`, rel, method: 'GET' });
    return {
      batch_header: batch.batch_header,
      items: ids.map((i) => this.items.get(i)),
      total_items: batch.item_ids.length,
      total_pages: pages,
      links: [link(page, 'self'), ...(page < pages ? [link(page + 1, 'next')] : []), ...(page > 1 ? [link(page - 1, 'previous')] : [])],
    };
  }

  private item(itemId: string): Json {
    const item = this.items.get(itemId);
    if (!item) throw new PayPalError(404, { name: 'INVALID_RESOURCE_ID', message: 'Requested resource ID was not found.', debug_id: debugId() });
    return item;
  }

  private search(params: URLSearchParams): Json {
    const start = params.get('start_date');
    const end = params.get('end_date');
    if (!start || !end) throw validation([{ field: start ? 'end_date' : 'start_date', issue: 'MISSING_REQUIRED_PARAMETER', description: 'start_date and end_date are required.', location: 'query' }]);
    const from = Date.parse(start);
    const to = Date.parse(end);
    if (Number.isNaN(from) || Number.isNaN(to)) throw validation([{ field: 'start_date', issue: 'INVALID_PARAMETER_SYNTAX', description: 'Dates are RFC 3339.', location: 'query' }]);
    if (to - from > 31 * 86_400_000) throw validation([{ field: 'end_date', issue: 'INVALID_DATE_RANGE', description: 'Date range is greater than 31 days.', location: 'query' }]);
    const pageSize = Number(params.get('page_size') ?? 100);
    const page = Number(params.get('page') ?? 1);
    const all = this.transactions.filter((t) => Date.parse(t.at) >= from && Date.parse(t.at) <= to);
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    return {
      transaction_details: slice.map((t) => ({
        transaction_info: { transaction_id: t.transaction_id, transaction_event_code: t.event_code, transaction_status: t.status, transaction_amount: t.amount, invoice_id: t.invoice_id, custom_field: t.custom_field, transaction_initiation_date: t.at, transaction_updated_date: t.at },
      })),
      account_number: 'STANDIN',
      start_date: start,
      end_date: end,
      last_refreshed_datetime: new Date().toISOString(),
      page,
      total_items: all.length,
      total_pages: Math.max(1, Math.ceil(all.length / pageSize)),
      links: [],
    };
  }
}

export async function startPayPalStandIn(options: StandInOptions, port = 0): Promise<PayPalStandIn> {
  return new PayPalStandIn(options).start(port);
}
