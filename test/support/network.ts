// A small roaming network for integration tests: a hub (web + worker) and partner platforms
// registered through the normal invite flow.
import { readFileSync } from 'node:fs';
import { call, startTestHub, type TestHub } from './hub.ts';
import { TestPartner, type PartnerRole } from './testPartner.ts';
import type { Role } from '../../src/main.ts';
import { pathToFileURL } from 'node:url';
import { sharedOcpi } from '../../ocpi/testing/sharedFixtures.ts';

export const examplesDir = pathToFileURL(`${sharedOcpi('examples')}/`);

export function example<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, examplesDir), 'utf8')) as T;
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; what?: string } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Network {
  readonly partners: TestPartner[] = [];
  constructor(readonly hub: TestHub) {}

  static async start(overrides: Record<string, string> = {}, roles: Role[] = ['web', 'worker']): Promise<Network> {
    return new Network(await startTestHub({ DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '2000', ...overrides }, roles));
  }

  async join(roles: PartnerRole[], options?: ConstructorParameters<typeof TestPartner>[1]): Promise<TestPartner> {
    const partner = await new TestPartner(roles, options).start();
    const invitation = await call(`${this.hub.url}/admin/partners/invitations`, {
      method: 'POST',
      body: { name: roles.map((r) => `${r.country_code}-${r.party_id}`).join(' ') },
      headers: { Authorization: `Bearer ${this.hub.config.ADMIN_TOKEN}` },
    });
    const result = await partner.register(invitation.body.data.versions_url, invitation.body.data.token);
    if (result.body?.status_code !== 1000) throw new Error(`registration failed: ${result.text}`);
    this.partners.push(partner);
    return partner;
  }

  /** A request from a partner to one of the hub's module endpoints. */
  async send(partner: TestPartner, method: string, path: string, options: { body?: unknown; from?: [string, string]; to?: [string, string]; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { 'X-Request-ID': `req-${Math.random().toString(36).slice(2)}`, 'X-Correlation-ID': `corr-${Math.random().toString(36).slice(2)}`, ...options.headers };
    if (options.from) Object.assign(headers, { 'OCPI-from-country-code': options.from[0], 'OCPI-from-party-id': options.from[1] });
    if (options.to) Object.assign(headers, { 'OCPI-to-country-code': options.to[0], 'OCPI-to-party-id': options.to[1] });
    const result = await call(`${this.hub.url}/ocpi/2.2.1${path}`, { method, token: partner.hubToken, body: options.body, headers });
    return Object.assign(result, { sentHeaders: headers });
  }

  async stop(): Promise<void> {
    await Promise.all(this.partners.map((p) => p.stop()));
    await this.retirePartners();
    await this.hub.stop();
  }

  /**
   * The run's database is shared by the test files that do not take a namespace of their own. A
   * partner whose server is gone would stay REGISTERED there, and every later file's hub would
   * open its lanes, keep failing to deliver what was left for it and announce it OFFLINE to every
   * platform. Once its file is done it is as if it had unregistered long ago: past every delivery
   * horizon, so nothing can still be waiting for it and no worker keeps lanes open for it.
   */
  private async retirePartners(): Promise<void> {
    const { db } = this.hub.deps;
    const parties = this.partners.flatMap((p) => p.roles.map((r) => [r.country_code.toUpperCase(), r.party_id.toUpperCase()]));
    if (parties.length === 0) return;
    const named = parties.map(() => '(upper(country_code) = ? AND upper(party_id) = ?)').join(' OR ');
    await db('platforms')
      .whereIn('id', db('parties').select('platform_id').whereRaw(named, parties.flat()))
      .update({ state: 'UNREGISTERED', updated_at: new Date('2000-01-01T00:00:00Z') });
  }
}

export const party = (p: TestPartner, i = 0): [string, string] => [p.roles[i].country_code, p.roles[i].party_id];
