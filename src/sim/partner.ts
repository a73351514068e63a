// A real OCPI 2.2.1 platform (tests, benchmarks, the demo): its own HTTP server with versions,
// credentials and the modules its roles implement. It registers with the hub through the normal
// invite flow and records the requests it receives (or only counts them, for load runs).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { call } from './http.ts';

export interface PartnerRole {
  role: 'CPO' | 'EMSP' | 'NSP' | 'OTHER' | 'SCSP' | 'NAP';
  country_code: string;
  party_id: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Scripted answers: return a reply (or a promise of one, to answer slowly), or undefined for the default. */
export type Responder = (request: ReceivedRequest) => Reply | undefined | Promise<Reply | undefined>;

const defaultModules: Record<PartnerRole['role'], { identifier: string; role: 'SENDER' | 'RECEIVER' }[]> = {
  CPO: [
    { identifier: 'locations', role: 'SENDER' },
    { identifier: 'sessions', role: 'SENDER' },
    { identifier: 'cdrs', role: 'SENDER' },
    { identifier: 'tariffs', role: 'SENDER' },
    { identifier: 'tokens', role: 'RECEIVER' },
    { identifier: 'commands', role: 'RECEIVER' },
    { identifier: 'chargingprofiles', role: 'RECEIVER' },
    { identifier: 'hubclientinfo', role: 'RECEIVER' },
  ],
  EMSP: [
    { identifier: 'locations', role: 'RECEIVER' },
    { identifier: 'sessions', role: 'RECEIVER' },
    { identifier: 'cdrs', role: 'RECEIVER' },
    { identifier: 'tariffs', role: 'RECEIVER' },
    { identifier: 'tokens', role: 'SENDER' },
    { identifier: 'commands', role: 'SENDER' },
    { identifier: 'hubclientinfo', role: 'RECEIVER' },
  ],
  NSP: [{ identifier: 'locations', role: 'RECEIVER' }, { identifier: 'tariffs', role: 'RECEIVER' }, { identifier: 'hubclientinfo', role: 'RECEIVER' }],
  OTHER: [{ identifier: 'locations', role: 'RECEIVER' }, { identifier: 'hubclientinfo', role: 'RECEIVER' }],
  SCSP: [{ identifier: 'sessions', role: 'RECEIVER' }, { identifier: 'chargingprofiles', role: 'SENDER' }, { identifier: 'hubclientinfo', role: 'RECEIVER' }],
  NAP: [{ identifier: 'locations', role: 'RECEIVER' }, { identifier: 'hubclientinfo', role: 'RECEIVER' }],
};

export class SimPartner {
  readonly received: ReceivedRequest[] = [];
  /** Tokens this partner accepts from the hub (the one it handed out; the old one during rotation). */
  readonly acceptedTokens = new Set<string>();
  /** Token the partner presents to the hub. */
  hubToken: string | undefined;
  hubVersionsUrl: string | undefined;
  responder: Responder | undefined;
  /** Called with every request and the answer given (load runs count CDRs here instead of recording them). */
  onRequest: ((request: ReceivedRequest, answer: { status: number; body: unknown }) => void) | undefined;
  /** When set, credentials PUT from the hub fails with this HTTP status (mid-rotation failure). */
  failCredentialsPut: number | undefined;
  private server: Server | undefined;
  url = '';

  constructor(
    readonly roles: PartnerRole[],
    readonly options: {
      name?: string;
      versions?: string[];
      base64?: boolean;
      record?: boolean;
      /** Interfaces left out of the version details, as `module:ROLE` (a CPO that only pushes: `cdrs:SENDER`). */
      omit?: string[];
    } = {},
  ) {}

  get versionsUrl(): string {
    return `${this.url}/ocpi/versions`;
  }

  endpoints(): { identifier: string; role: string; url: string }[] {
    const seen = new Map<string, { identifier: string; role: string; url: string }>();
    seen.set('credentials', { identifier: 'credentials', role: 'SENDER', url: `${this.url}/ocpi/2.2.1/credentials` });
    for (const r of this.roles) {
      for (const m of defaultModules[r.role]) {
        const key = `${m.identifier}:${m.role}`;
        if (!seen.has(key) && !this.options.omit?.includes(key)) seen.set(key, { ...m, url: `${this.url}/ocpi/2.2.1/${m.role.toLowerCase()}/${m.identifier}` });
      }
    }
    return [...seen.values()];
  }

  credentials(token: string) {
    return {
      token,
      url: this.versionsUrl,
      roles: this.roles.map((r) => ({ ...r, business_details: { name: this.options.name ?? `${r.country_code}-${r.party_id} ${r.role}` } })),
    };
  }

  async start(): Promise<this> {
    // A client that gives up (the hub timing out) aborts the request mid-read: drop it, do not crash.
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Handshake started by the partner: GET versions and details with token A, POST credentials. */
  async register(hubVersionsUrl: string, tokenA: string) {
    const versions = await call(hubVersionsUrl, { token: tokenA });
    const v221 = versions.body?.data?.find((v: { version: string }) => v.version === '2.2.1');
    if (!v221) throw new Error(`hub offers no 2.2.1: ${versions.text}`);
    const details = await call(v221.url, { token: tokenA });
    const credentialsUrl = details.body?.data?.endpoints?.find((e: { identifier: string }) => e.identifier === 'credentials')?.url;
    const tokenB = this.issueToken();
    const result = await call(credentialsUrl, { method: 'POST', token: tokenA, body: this.credentials(tokenB) });
    if (result.body?.status_code === 1000) {
      this.hubToken = result.body.data.token;
      this.hubVersionsUrl = hubVersionsUrl;
    }
    return { ...result, credentialsUrl };
  }

  /** PUT credentials: a new token for the hub to use, and (on success) a new one to present. */
  async rotate(credentialsUrl: string) {
    const previous = [...this.acceptedTokens];
    const newToken = this.issueToken();
    const result = await call(credentialsUrl, { method: 'PUT', token: this.hubToken, body: this.credentials(newToken) });
    if (result.body?.status_code === 1000) {
      this.hubToken = result.body.data.token;
      for (const t of previous) this.acceptedTokens.delete(t);
    } else {
      this.acceptedTokens.delete(newToken);
    }
    return result;
  }

  /** A fresh token the hub may use to call this partner. */
  issueToken(): string {
    const token = randomBytes(18).toString('hex');
    this.acceptedTokens.add(token);
    return token;
  }

  requestsTo(pathPart: string): ReceivedRequest[] {
    return this.received.filter((r) => r.path.includes(pathPart));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const request: ReceivedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
    if (this.options.record !== false) this.received.push(request);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.onRequest?.(request, { status, body });
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const ok = (data?: unknown) => send(200, { ...(data === undefined ? {} : { data }), status_code: 1000, timestamp: new Date().toISOString() });

    const token = this.presentedToken(req.headers.authorization);
    if (!token || !this.acceptedTokens.has(token)) {
      send(401, { status_code: 2000, status_message: 'unknown token', timestamp: new Date().toISOString() });
      return;
    }
    const custom = await this.responder?.(request);
    if (custom) {
      send(custom.status ?? 200, custom.body ?? { status_code: 1000, timestamp: new Date().toISOString() }, custom.headers);
      return;
    }
    if (url.pathname === '/ocpi/versions') {
      ok((this.options.versions ?? ['2.2.1']).map((version) => ({ version, url: `${this.url}/ocpi/${version}` })));
    } else if (url.pathname === '/ocpi/2.2.1') {
      ok({ version: '2.2.1', endpoints: this.endpoints() });
    } else if (url.pathname === '/ocpi/2.2.1/credentials') {
      this.handleCredentials(request, token, send, ok);
    } else {
      ok();
    }
  }

  /** The hub registering with (POST) or rotating tokens at (PUT) this partner. */
  private handleCredentials(request: ReceivedRequest, token: string, send: (s: number, b: unknown) => void, ok: (d?: unknown) => void): void {
    const body = request.body as { token: string; url: string } | undefined;
    if (request.method === 'GET') return ok(this.credentials(token));
    if (request.method === 'PUT' && this.failCredentialsPut) {
      return send(this.failCredentialsPut, { status_code: 3000, status_message: 'injected failure', timestamp: new Date().toISOString() });
    }
    if ((request.method === 'POST' || request.method === 'PUT') && body) {
      this.hubToken = body.token;
      this.hubVersionsUrl = body.url;
      const next = this.issueToken();
      // Token A (or the old token) stays valid until the hub uses the new one, like the hub does.
      return ok(this.credentials(next));
    }
    send(405, { status_code: 2000, timestamp: new Date().toISOString() });
  }

  private presentedToken(header: string | undefined): string | undefined {
    const match = /^Token (\S+)$/.exec(header ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    if (this.options.base64 === false) return match[1];
    return this.acceptedTokens.has(decoded) ? decoded : match[1];
  }
}
