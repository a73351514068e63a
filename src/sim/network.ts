// A simulated roaming network: CPO and eMSP platforms, each a real OCPI 2.2.1 server
// (src/sim/partner.ts), registered with the hub through the normal invite flow. CPOs publish
// locations and tariffs, run sessions that evolve (PUT, PATCHes with charging periods, completion)
// and send CDRs priced by their own tariffs; eMSPs publish tokens, answer real-time authorization
// and send START/STOP commands. A seed makes it repeatable; faults are injected per partner.
import { randomUUID } from 'node:crypto';
import { call } from './http.ts';
import { SimPartner, type PartnerRole, type Reply, type ReceivedRequest } from './partner.ts';
import { Random } from './random.ts';
import { locationFor, regions, tariffFor, tokenFor, type Region } from './catalogue.ts';
import { priceCdr, priceResultToJson, type CdrInput, type Tariff } from '../../ocpi/tariffs/index.ts';

type Json = Record<string, any>;

export interface Faults {
  /** Share of requests answered with HTTP 500. */
  errorRate?: number;
  /** Share of requests answered with 429 and Retry-After: 1. */
  throttleRate?: number;
  /** Extra delay on every answer (ms). */
  slowMs?: number;
  /** Offline windows: [start, end) in ms since the network started. */
  offline?: [number, number][];
  /** Bad billing (CPOs): share of CDRs with a price that does not match the tariff. */
  wrongPriceRate?: number;
  /** Share of sessions billed twice under different CDR ids. */
  duplicateRate?: number;
  /** Share of CDRs with more energy than the connector can deliver. */
  impossibleEnergyRate?: number;
  /** The CPO's first CDR carries every bad-billing fault it has a rate for, so even a short run has each to find. */
  faultFirstCdr?: boolean;
}

export interface NetworkOptions {
  hubUrl: string;
  adminToken: string;
  cpos: number;
  emsps: number;
  /** Platforms that are both CPO and eMSP. */
  both: number;
  seed: number;
  locationsPerCpo?: number;
  tokensPerEmsp?: number;
  /** First letter of every party id (CPOs xC1…, eMSPs xE1…, both xB1…), so networks can share a hub. */
  idLetter?: string;
  /** Faults by party id (e.g. { SE2: { errorRate: 0.2 } }). */
  faults?: Record<string, Faults>;
}

interface Cpo {
  partner: SimPartner;
  owner: { country_code: string; party_id: string };
  locations: { location: Json; tariff: Json; region: Region }[];
}

interface Emsp {
  partner: SimPartner;
  owner: { country_code: string; party_id: string };
  tokens: Json[];
}

export interface NetworkStats {
  sessions: number;
  pushesAccepted: number;
  pushesRefused: number;
  cdrsAccepted: string[];
  creditCdrs: number;
  commands: number;
  authorizations: number;
  injected: Record<string, number>;
  /** CDR ids each eMSP received (id → times). */
  cdrsReceived: Map<string, number>;
}

const CREDIT_RATE = 0.02;

export class SimNetwork {
  readonly cpos: Cpo[] = [];
  readonly emsps: Emsp[] = [];
  readonly random: Random;
  readonly stats: NetworkStats = { sessions: 0, pushesAccepted: 0, pushesRefused: 0, cdrsAccepted: [], creditCdrs: 0, commands: 0, authorizations: 0, injected: {}, cdrsReceived: new Map() };
  private readonly startedAt = Date.now();
  private readonly billed: { cpo: Cpo; cdr: Json }[] = [];
  private readonly tokenFreeBefore = new Map<string, number>();

  constructor(readonly options: NetworkOptions) {
    this.random = new Random(options.seed);
  }

  get partners(): SimPartner[] {
    return [...new Set([...this.cpos.map((c) => c.partner), ...this.emsps.map((e) => e.partner)])];
  }

  /** Starts every platform and registers it with the hub through an invitation. */
  async start(): Promise<void> {
    const countries = ['NL', 'DE', 'BE', 'GB', 'PT'];
    const platforms: PartnerRole[][] = [];
    const l = this.options.idLetter ?? 'S';
    for (let i = 0; i < this.options.cpos; i++) platforms.push([{ role: 'CPO', country_code: countries[i % countries.length], party_id: `${l}C${i + 1}` }]);
    for (let i = 0; i < this.options.emsps; i++) platforms.push([{ role: 'EMSP', country_code: countries[(i + 2) % countries.length], party_id: `${l}E${i + 1}` }]);
    for (let i = 0; i < this.options.both; i++) {
      platforms.push([
        { role: 'CPO', country_code: 'NL', party_id: `${l}B${i + 1}` },
        { role: 'EMSP', country_code: 'NL', party_id: `${l}B${i + 1}` },
      ]);
    }
    for (const roles of platforms) {
      const partner = await new SimPartner(roles, { record: false, name: roles.map((r) => `${r.party_id} ${r.role}`).join(' / ') }).start();
      partner.responder = (request) => this.respond(partner, roles, request);
      partner.onRequest = (request, answer) => this.observe(request, answer);
      const invitation = await call(`${this.options.hubUrl}/admin/partners/invitations`, {
        method: 'POST',
        body: { name: partner.options.name },
        headers: { Authorization: `Bearer ${this.options.adminToken}` },
      });
      const result = await partner.register(invitation.body.data.versions_url, invitation.body.data.token);
      if (result.body?.status_code !== 1000) throw new Error(`registration of ${partner.options.name} failed: ${result.text}`);
      for (const role of roles) {
        const owner = { country_code: role.country_code, party_id: role.party_id };
        if (role.role === 'CPO') this.cpos.push({ partner, owner, locations: [] });
        else this.emsps.push({ partner, owner, tokens: [] });
      }
    }
  }

  /** Publishes tariffs and locations (broadcast) and tokens (broadcast to CPOs). */
  async publishCatalogue(): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const [c, cpo] of this.cpos.entries()) {
      for (let i = 0; i < (this.options.locationsPerCpo ?? 3); i++) {
        const region = regions[(c + i) % regions.length];
        const tariff = tariffFor(cpo.owner, `T${i + 1}`, region.currency, this.random, now);
        const location = locationFor(cpo.owner, `L${i + 1}`, region, tariff.id, this.random, now);
        await this.push(cpo.partner, cpo.owner, 'PUT', `/receiver/tariffs/${cpo.owner.country_code}/${cpo.owner.party_id}/${tariff.id}`, tariff, this.hubParty());
        await this.push(cpo.partner, cpo.owner, 'PUT', `/receiver/locations/${cpo.owner.country_code}/${cpo.owner.party_id}/${location.id}`, location, this.hubParty());
        cpo.locations.push({ location, tariff, region });
      }
    }
    for (const emsp of this.emsps) {
      for (let i = 0; i < (this.options.tokensPerEmsp ?? 20); i++) {
        const token = tokenFor(emsp.owner, i + 1, now);
        await this.push(emsp.partner, emsp.owner, 'PUT', `/receiver/tokens/${emsp.owner.country_code}/${emsp.owner.party_id}/${token.uid}?type=RFID`, token, this.hubParty());
        emsp.tokens.push(token);
      }
    }
  }

  /** One charging session from authorization to CDR. */
  async runSession(): Promise<void> {
    const cpo = this.random.pick(this.cpos);
    const emsp = this.random.pick(this.emsps.filter((e) => e.partner !== cpo.partner));
    const { location, tariff, region } = this.random.pick(cpo.locations);
    const evse = this.random.pick(location.evses as Json[]);
    const connector = evse.connectors[0];
    const token = this.random.pick(emsp.tokens);
    const sessionId = randomUUID();
    // One token charges at one place at a time: a token's next session ends before its earlier ones began.
    const latestEnd = Math.min(Date.now() - this.random.int(0, 600) * 1000, (this.tokenFreeBefore.get(token.uid) ?? Infinity) - 300_000);
    const to: [string, string] = [emsp.owner.country_code, emsp.owner.party_id];
    this.stats.sessions += 1;

    if (this.random.chance(0.3)) {
      this.stats.commands += 1;
      await this.send(emsp.partner, emsp.owner, 'POST', '/receiver/commands/START_SESSION', {
        response_url: `${emsp.partner.url}/ocpi/2.2.1/commands/START_SESSION/${sessionId}`,
        token,
        location_id: location.id,
        evse_uid: evse.uid,
      }, [cpo.owner.country_code, cpo.owner.party_id]);
    } else {
      this.stats.authorizations += 1;
      await this.send(cpo.partner, cpo.owner, 'POST', `/sender/tokens/${token.uid}/authorize?type=RFID`, { location_id: location.id, evse_uids: [evse.uid] }, to);
    }

    // A session of 20 minutes to 4 hours that ended just now, split into charging periods.
    const hours = 1 / 3 + this.random.next() * 3.6;
    const end = new Date(latestEnd);
    const start = new Date(end.getTime() - hours * 3_600_000);
    this.tokenFreeBefore.set(token.uid, start.getTime());
    const kw = Math.min(connector.max_electric_power / 1000, this.random.pick([7.4, 11, 22, 50]));
    const periods = this.periods(start, end, kw);
    const cdrToken = { country_code: emsp.owner.country_code, party_id: emsp.owner.party_id, uid: token.uid, type: 'RFID', contract_id: token.contract_id };
    const base = { country_code: cpo.owner.country_code, party_id: cpo.owner.party_id, id: sessionId, start_date_time: iso(start), auth_method: 'WHITELIST', location_id: location.id, evse_uid: evse.uid, connector_id: connector.id, currency: tariff.currency, cdr_token: cdrToken };
    const path = `/receiver/sessions/${cpo.owner.country_code}/${cpo.owner.party_id}/${sessionId}`;
    await this.push(cpo.partner, cpo.owner, 'PUT', path, { ...base, kwh: 0, status: 'ACTIVE', last_updated: iso(start) }, to);
    let kwh = 0;
    for (const period of periods) {
      kwh += period.dimensions.find((d: Json) => d.type === 'ENERGY')?.volume ?? 0;
      await this.push(cpo.partner, cpo.owner, 'PATCH', path, { kwh: round(kwh, 3), charging_periods: [period], last_updated: period.start_date_time }, to);
    }
    await this.push(cpo.partner, cpo.owner, 'PATCH', path, { status: 'COMPLETED', end_date_time: iso(end), kwh: round(kwh, 3), last_updated: iso(end) }, to);
    await this.bill(cpo, to, { ...base, end: iso(end), periods, location, evse, connector, region, tariff });
  }

  private periods(start: Date, end: Date, kw: number): Json[] {
    const periods: Json[] = [];
    const total = (end.getTime() - start.getTime()) / 3_600_000;
    const charging = Math.min(total, total * (0.6 + this.random.next() * 0.4));
    const slices = Math.max(1, Math.min(4, Math.round(charging)));
    for (let i = 0; i < slices; i++) {
      const hours = charging / slices;
      periods.push({
        start_date_time: iso(new Date(start.getTime() + i * hours * 3_600_000)),
        dimensions: [
          { type: 'ENERGY', volume: round(kw * hours * (0.8 + this.random.next() * 0.2), 3) },
          { type: 'TIME', volume: round(hours, 4) },
        ],
      });
    }
    if (total - charging > 0.01) {
      periods.push({ start_date_time: iso(new Date(start.getTime() + charging * 3_600_000)), dimensions: [{ type: 'PARKING_TIME', volume: round(total - charging, 4) }] });
    }
    return periods;
  }

  /** The CDR, priced with the CPO's own tariff; with injected faults where configured. */
  private async bill(cpo: Cpo, to: [string, string], s: Json): Promise<void> {
    const faults = this.options.faults?.[cpo.owner.party_id] ?? {};
    const first = faults.faultFirstCdr === true && !this.billed.some((b) => b.cpo === cpo);
    const faulty = (rate: number | undefined) => !!rate && (first || this.random.chance(rate));
    const cdr: Json = {
      country_code: s.country_code,
      party_id: s.party_id,
      id: `CDR-${s.id}`.slice(0, 36),
      start_date_time: s.start_date_time,
      end_date_time: s.end,
      session_id: s.id,
      cdr_token: s.cdr_token,
      auth_method: s.auth_method,
      cdr_location: {
        id: s.location.id,
        address: s.location.address,
        city: s.location.city,
        postal_code: s.location.postal_code,
        country: s.location.country,
        coordinates: s.location.coordinates,
        evse_uid: s.evse.uid,
        evse_id: s.evse.evse_id,
        connector_id: s.connector.id,
        connector_standard: s.connector.standard,
        connector_format: s.connector.format,
        connector_power_type: s.connector.power_type,
      },
      currency: s.currency,
      tariffs: [s.tariff],
      charging_periods: s.periods,
      last_updated: iso(new Date()),
    };
    const price = priceResultToJson(priceCdr({ cdr: cdr as unknown as CdrInput, tariffs: [s.tariff as Tariff], timeZone: s.region.timeZone }));
    Object.assign(cdr, {
      total_cost: price.total_cost,
      total_fixed_cost: price.total_fixed_cost,
      total_energy: price.total_energy,
      total_energy_cost: price.total_energy_cost,
      total_time: price.total_time,
      total_time_cost: price.total_time_cost,
      total_parking_time: price.total_parking_time,
      total_parking_cost: price.total_parking_cost,
    });
    if (faulty(faults.wrongPriceRate)) {
      this.inject('wrong_price');
      cdr.total_cost = { excl_vat: round(cdr.total_cost.excl_vat * 1.35 + 1, 4), incl_vat: round(cdr.total_cost.incl_vat * 1.35 + 1.21, 4) };
      cdr.total_energy_cost = { excl_vat: round(cdr.total_energy_cost.excl_vat * 1.35 + 1, 4), incl_vat: round(cdr.total_energy_cost.incl_vat * 1.35 + 1.21, 4) };
    }
    if (faulty(faults.impossibleEnergyRate)) {
      this.inject('impossible_energy');
      cdr.total_energy = round(cdr.total_energy * 20, 3);
    }
    await this.postCdr(cpo, cdr, to);
    this.billed.push({ cpo, cdr });
    if (faulty(faults.duplicateRate)) {
      this.inject('duplicate');
      await this.postCdr(cpo, { ...cdr, id: `DUP-${cdr.id}`.slice(0, 36) }, to);
    }
    if (this.random.chance(CREDIT_RATE) && this.billed.length > 1) {
      const original = this.billed[this.random.int(0, this.billed.length - 2)];
      if (original.cpo === cpo && !original.cdr.credit) {
        const negate = (p: Json | undefined) => p && { excl_vat: -p.excl_vat, incl_vat: p.incl_vat === undefined ? undefined : -p.incl_vat };
        const credit = {
          ...original.cdr,
          id: `CR-${original.cdr.id}`.slice(0, 39),
          credit: true,
          credit_reference_id: original.cdr.id,
          total_cost: negate(original.cdr.total_cost),
          total_fixed_cost: negate(original.cdr.total_fixed_cost),
          total_energy_cost: negate(original.cdr.total_energy_cost),
          total_time_cost: negate(original.cdr.total_time_cost),
          total_parking_cost: negate(original.cdr.total_parking_cost),
          last_updated: iso(new Date()),
        };
        this.stats.creditCdrs += 1;
        const credited = { country_code: original.cdr.cdr_token.country_code, party_id: original.cdr.cdr_token.party_id } as const;
        await this.postCdr(cpo, credit, [credited.country_code, credited.party_id]);
      }
    }
  }

  private async postCdr(cpo: Cpo, cdr: Json, to: [string, string]): Promise<void> {
    const ok = await this.push(cpo.partner, cpo.owner, 'POST', '/receiver/cdrs', cdr, to);
    if (ok) this.stats.cdrsAccepted.push(cdr.id);
  }

  private inject(kind: string): void {
    this.stats.injected[kind] = (this.stats.injected[kind] ?? 0) + 1;
  }

  private hubParty(): [string, string] {
    return ['NL', 'HUB'];
  }

  private async push(partner: SimPartner, from: { country_code: string; party_id: string }, method: string, path: string, body: unknown, to: [string, string]): Promise<boolean> {
    const result = await this.send(partner, from, method, path, body, to);
    const ok = result?.body?.status_code === 1000;
    if (ok) this.stats.pushesAccepted += 1;
    else this.stats.pushesRefused += 1;
    return ok;
  }

  private async send(partner: SimPartner, from: { country_code: string; party_id: string }, method: string, path: string, body: unknown, to: [string, string]) {
    return call(`${this.options.hubUrl}/ocpi/2.2.1${path}`, {
      method,
      token: partner.hubToken,
      body,
      headers: {
        'X-Request-ID': randomUUID(),
        'X-Correlation-ID': randomUUID(),
        'OCPI-from-country-code': from.country_code,
        'OCPI-from-party-id': from.party_id,
        'OCPI-to-country-code': to[0],
        'OCPI-to-party-id': to[1],
      },
    }).catch(() => undefined);
  }

  /** A CDR counts as received when the eMSP answered it with success. */
  private observe(request: ReceivedRequest, answer: { status: number; body: unknown }): void {
    if (answer.status === 200 && (answer.body as Json)?.status_code === 1000 && request.method === 'POST' && /\/receiver\/cdrs$/.test(request.path)) {
      const id = (request.body as Json | undefined)?.id;
      if (typeof id === 'string') this.stats.cdrsReceived.set(id, (this.stats.cdrsReceived.get(id) ?? 0) + 1);
    }
  }

  /** How a simulated platform answers: faults first, then the module's behaviour. */
  private async respond(partner: SimPartner, roles: PartnerRole[], request: ReceivedRequest): Promise<Reply | undefined> {
    if (request.path.startsWith('/ocpi/versions') || request.path === '/ocpi/2.2.1' || request.path.startsWith('/ocpi/2.2.1/credentials')) return undefined;
    const faults = roles.map((r) => this.options.faults?.[r.party_id]).find(Boolean) ?? {};
    if (faults.slowMs) await new Promise((r) => setTimeout(r, faults.slowMs));
    const elapsed = Date.now() - this.startedAt;
    if (faults.offline?.some(([from, until]) => elapsed >= from && elapsed < until)) return { status: 503, body: { error: 'offline' } };
    if (faults.errorRate && this.random.chance(faults.errorRate)) return { status: 500, body: { error: 'injected' } };
    if (faults.throttleRate && this.random.chance(faults.throttleRate)) return { status: 429, headers: { 'Retry-After': '1' }, body: { status_code: 3000, timestamp: iso(new Date()) } };

    const ok = (data?: unknown): Reply => ({ body: { ...(data === undefined ? {} : { data }), status_code: 1000, timestamp: iso(new Date()) } });
    const authorize = /\/sender\/tokens\/([^/]+)\/authorize/.exec(request.path);
    if (authorize) return ok({ allowed: 'ALLOWED', token: this.emsps.flatMap((e) => e.tokens).find((t) => t.uid === decodeURIComponent(authorize[1])), authorization_reference: randomUUID().slice(0, 36) });
    const command = /\/receiver\/commands\/([A-Z_]+)$/.exec(request.path);
    if (command && request.method === 'POST') {
      const responseUrl = (request.body as Json | undefined)?.response_url;
      if (typeof responseUrl === 'string') {
        // The CPO confirms asynchronously, as a charge point would, through the hub's callback URL.
        setTimeout(() => void call(responseUrl, { method: 'POST', token: partner.hubToken, body: { result: 'ACCEPTED' } }).catch(() => undefined), 50);
      }
      return ok({ result: 'ACCEPTED', timeout: 30 });
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.partners.map((p) => p.stop()));
  }
}

const iso = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z');
const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
