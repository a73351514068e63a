// A seeded generator of realistic CDR traffic for a roaming hub, with labelled injected billing
// anomalies of every type. Pure and deterministic for a seed: no clock (the reference day is
// passed in), no IO. Normal CDRs are priced with the hub's own tariff calculator, the way a CPO's
// backend would bill them; each injected anomaly mutates one fresh normal CDR in one way only,
// so the label is exact.
import { priceCdr } from '../../ocpi/tariffs/price.ts';
import type { Tariff } from '../../ocpi/tariffs/types.ts';
import type { AnomalyType } from '../anomalies/rules.ts';
import { cdrFindingKey } from '../anomalies/rules.ts';

export interface GeneratorOptions {
  seed: number;
  /** Approximate number of CDRs (normal traffic plus injected anomalies). */
  cdrs: number;
  /** Unix ms of the reference "today" (00:00 UTC); traffic covers the `days` days before it. */
  todayMs: number;
  days?: number;
  /** Share of CDRs turned into each CDR-level anomaly type (0: none injected). */
  anomalyRate?: number;
  /** Inject party drift days (three spikes, three outages); default true. */
  drift?: boolean;
  /**
   * One capital letter that replaces the first letter of every CPO party id and prefixes every
   * token uid, so that traffic generated beside the measured traffic (a pre-filled database) shares
   * no CDR key, session or token with it.
   */
  namespace?: string;
}

export interface Party {
  country_code: string;
  party_id: string;
}

export interface GeneratedLocation {
  party: Party;
  id: string;
  time_zone: string;
  body: Record<string, unknown>;
  connectors: { evse_uid: string; evse_id: string; connector_id: string; power_type: 'AC_3_PHASE' | 'DC'; kw: number }[];
  tariff: Tariff;
  /** Whether the hub knows the tariff (pushed to it); unknown ones can only be judged by statistics. */
  tariffKnown: boolean;
}

export interface GeneratedCdr {
  cdr: Record<string, any>;
  /** The anomaly this CDR carries, if any. */
  label: AnomalyType | null;
  /** Order of publication (seconds); CDRs are published in this order. */
  publishAt: number;
}

export interface Generated {
  parties: { cpos: (Party & { currency: string })[]; emsps: Party[] };
  locations: GeneratedLocation[];
  /** Tariffs pushed to the hub (the known ones). */
  tariffs: Tariff[];
  cdrs: GeneratedCdr[];
  /** Expected finding keys per type. */
  labels: Record<AnomalyType, Set<string>>;
}

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => Math.floor(lo + (hi - lo + 1) * next()),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    poisson(lambda: number) {
      if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(next)));
      const l = Math.exp(-lambda);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= next();
      } while (p > l);
      return k - 1;
    },
  };
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
const money = (s: string) => Number(s);

const CPOS: (Party & { currency: string; tz: string; country: string })[] = [
  { country_code: 'NL', party_id: 'CPA', currency: 'EUR', tz: 'Europe/Amsterdam', country: 'NLD' },
  { country_code: 'NL', party_id: 'CPB', currency: 'EUR', tz: 'Europe/Amsterdam', country: 'NLD' },
  { country_code: 'DE', party_id: 'CPC', currency: 'EUR', tz: 'Europe/Berlin', country: 'DEU' },
  { country_code: 'BE', party_id: 'CPD', currency: 'EUR', tz: 'Europe/Brussels', country: 'BEL' },
  { country_code: 'FR', party_id: 'CPE', currency: 'EUR', tz: 'Europe/Paris', country: 'FRA' },
  { country_code: 'GB', party_id: 'CPF', currency: 'GBP', tz: 'Europe/London', country: 'GBR' },
];
const EMSPS: Party[] = [
  { country_code: 'NL', party_id: 'MSA' },
  { country_code: 'DE', party_id: 'MSB' },
  { country_code: 'BE', party_id: 'MSC' },
  { country_code: 'FR', party_id: 'MSD' },
];

export function generate(options: GeneratorOptions): Generated {
  const r = rng(options.seed);
  const ns = options.namespace ?? '';
  if (ns && !/^[A-Z]$/.test(ns)) throw new Error('namespace must be one capital letter');
  const cpos = ns ? CPOS.map((c) => ({ ...c, party_id: `${ns}${c.party_id.slice(1)}` })) : CPOS;
  const days = options.days ?? 60;
  const rate = options.anomalyRate ?? 0.01;
  const today = Math.floor(options.todayMs / 86_400_000) * 86_400;
  const start = today - days * 86_400;
  const lastUpdated = iso(start - 86_400);

  // ---- locations, connectors and tariffs
  const locations: GeneratedLocation[] = [];
  const tariffs: Tariff[] = [];
  for (const cpo of cpos) {
    for (let l = 1; l <= 6; l++) {
      const dc = r.next() < 0.35;
      const id = `LOC${l}`;
      const kw = dc ? r.pick([50, 150]) : r.pick([11, 22]);
      const tariffId = `T${l}${dc ? 'DC' : 'AC'}`;
      const known = l <= 4;
      const vat = cpo.country_code === 'GB' ? 20 : 21;
      const elements: Tariff['elements'] = dc
        ? [{ price_components: [{ type: 'FLAT', price: 0.5, vat, step_size: 1 }, { type: 'ENERGY', price: r3(r.between(0.49, 0.79)), vat, step_size: 1 }] }]
        : known && r.next() < 0.5
          ? [{ price_components: [{ type: 'ENERGY', price: r3(r.between(0.25, 0.45)), vat, step_size: 1 }, { type: 'PARKING_TIME', price: 1.5, vat, step_size: 300 }] }]
          : [{ price_components: [{ type: 'ENERGY', price: r3(r.between(0.25, 0.45)), vat, step_size: 1 }] }];
      const tariff: Tariff = { country_code: cpo.country_code, party_id: cpo.party_id, id: tariffId, currency: cpo.currency, elements, last_updated: lastUpdated };
      if (known) tariffs.push(tariff);
      const connectors = [1, 2].map((e) => ({
        evse_uid: `${id}-E${e}`,
        evse_id: `${cpo.country_code}*${cpo.party_id}*E${l}${e}`,
        connector_id: '1',
        power_type: (dc ? 'DC' : 'AC_3_PHASE') as 'DC' | 'AC_3_PHASE',
        kw,
      }));
      const lat = r.between(48, 53).toFixed(6);
      const lon = r.between(2, 9).toFixed(6);
      const body = {
        country_code: cpo.country_code,
        party_id: cpo.party_id,
        id,
        publish: true,
        name: `${cpo.party_id} site ${l}`,
        address: `Street ${l}`,
        city: `City ${l}`,
        country: cpo.country,
        coordinates: { latitude: lat, longitude: lon },
        time_zone: cpo.tz,
        evses: connectors.map((c) => ({
          uid: c.evse_uid,
          evse_id: c.evse_id,
          status: 'AVAILABLE',
          connectors: [
            {
              id: c.connector_id,
              standard: dc ? 'IEC_62196_T2_COMBO' : 'IEC_62196_T2',
              format: dc ? 'CABLE' : 'SOCKET',
              power_type: c.power_type,
              max_voltage: dc ? 500 : 400,
              max_amperage: dc ? Math.round((kw * 1000) / 500) : Math.round((kw * 1000) / (400 * Math.sqrt(3))),
              max_electric_power: kw * 1000,
              tariff_ids: [tariffId],
              last_updated: lastUpdated,
            },
          ],
          last_updated: lastUpdated,
        })),
        last_updated: lastUpdated,
      };
      locations.push({ party: cpo, id, time_zone: cpo.tz, body, connectors, tariff, tariffKnown: known });
    }
  }

  // ---- tokens, with their busy intervals so normal sessions of one token never overlap
  const tokens = Array.from({ length: Math.max(500, Math.ceil(options.cdrs / 4)) }, (_, i) => {
    const emsp = EMSPS[i % EMSPS.length];
    return { country_code: emsp.country_code, party_id: emsp.party_id, uid: `${ns}TOK${String(i).padStart(6, '0')}`, type: 'RFID', contract_id: `${emsp.country_code}${emsp.party_id}C${String(i).padStart(8, '0')}` };
  });
  const busy = new Map<string, [number, number][]>();
  const isFree = (uid: string, a: number, b: number) => !(busy.get(uid) ?? []).some(([s, e]) => s < b + 600 && a < e + 600);
  const occupy = (uid: string, a: number, b: number) => {
    const list = busy.get(uid) ?? [];
    list.push([a, b]);
    busy.set(uid, list);
  };
  const freeToken = (a: number, b: number) => {
    for (let i = 0; i < 50; i++) {
      const t = r.pick(tokens);
      if (isFree(t.uid, a, b)) return t;
    }
    return null;
  };

  let serial = 0;
  const out: GeneratedCdr[] = [];
  const labels = Object.fromEntries(
    ['price_mismatch', 'duplicate_session', 'overlapping_sessions', 'impossible_energy', 'non_positive_total', 'energy_without_time', 'price_per_kwh_outlier', 'late_cdr', 'party_volume_drift'].map((t) => [t, new Set<string>()]),
  ) as Record<AnomalyType, Set<string>>;

  /** A normal CDR at `loc`, ending on the day starting at `dayStart` (or starting at `at`), priced by its tariff. */
  const makeCdr = (loc: GeneratedLocation, dayStart: number, token?: (typeof tokens)[number] | null, at?: number): Record<string, any> | null => {
    const c = r.pick(loc.connectors);
    const dc = c.power_type === 'DC';
    const chargingS = Math.round(dc ? r.between(15, 60) * 60 : r.between(0.5, 4) * 3600);
    const parkingS = !dc && r.next() < 0.4 ? Math.round(r.between(5, 90) * 60) : 0;
    const sessionStart = at ?? dayStart + Math.floor(r.between(0, 86_400 - chargingS - parkingS - 60));
    const sessionEnd = sessionStart + chargingS + parkingS;
    const tok = token === undefined ? freeToken(sessionStart, sessionEnd) : token;
    if (!tok) return null;
    occupy(tok.uid, sessionStart, sessionEnd);
    const energy = r3(Math.max(0.5, Math.min(c.kw * r.between(0.3, 0.85) * (chargingS / 3600), r.between(20, 80))));
    const id = `${loc.party.party_id}${String(++serial).padStart(8, '0')}`;
    const periods: any[] = [
      { start_date_time: iso(sessionStart), dimensions: [{ type: 'ENERGY', volume: energy }, { type: 'TIME', volume: r6(chargingS / 3600) }], tariff_id: loc.tariff.id },
    ];
    if (parkingS > 0) periods.push({ start_date_time: iso(sessionStart + chargingS), dimensions: [{ type: 'PARKING_TIME', volume: r6(parkingS / 3600) }], tariff_id: loc.tariff.id });
    const cdr: Record<string, any> = {
      country_code: loc.party.country_code,
      party_id: loc.party.party_id,
      id,
      start_date_time: iso(sessionStart),
      end_date_time: iso(sessionEnd),
      session_id: `S${id}`,
      cdr_token: tok,
      auth_method: 'WHITELIST',
      cdr_location: {
        id: loc.id,
        name: loc.body.name,
        address: loc.body.address,
        city: loc.body.city,
        country: loc.body.country,
        coordinates: loc.body.coordinates,
        evse_uid: c.evse_uid,
        evse_id: c.evse_id,
        connector_id: c.connector_id,
        connector_standard: dc ? 'IEC_62196_T2_COMBO' : 'IEC_62196_T2',
        connector_format: dc ? 'CABLE' : 'SOCKET',
        connector_power_type: c.power_type,
      },
      currency: loc.tariff.currency,
      charging_periods: periods,
      total_energy: energy,
      total_time: r6((chargingS + parkingS) / 3600),
      ...(parkingS > 0 ? { total_parking_time: r6(parkingS / 3600) } : {}),
      last_updated: iso(sessionEnd + 60),
    };
    // Half the CPOs' CDRs carry their tariff, whether or not the hub knows it.
    if (r.next() < 0.5) cdr.tariffs = [loc.tariff];
    price(cdr, loc);
    return cdr;
  };

  const price = (cdr: Record<string, any>, loc: GeneratedLocation, tariff: Tariff = loc.tariff) => {
    const result = priceCdr({ cdr: cdr as any, tariffs: [tariff], timeZone: loc.time_zone });
    cdr.total_cost = { excl_vat: money(result.total_cost.excl_vat), incl_vat: money(result.total_cost.incl_vat) };
    for (const [field, value] of [
      ['total_fixed_cost', result.total_fixed_cost],
      ['total_energy_cost', result.total_energy_cost],
      ['total_time_cost', result.total_time_cost],
      ['total_parking_cost', result.total_parking_cost],
    ] as const) {
      if (Number(value.excl_vat) !== 0) cdr[field] = { excl_vat: money(value.excl_vat), incl_vat: money(value.incl_vat) };
      else delete cdr[field];
    }
  };
  const locationIndex = new Map(locations.map((l) => [`${l.party.party_id}*${l.id}`, l]));
  const locOf = (cdr: Record<string, any>) => locationIndex.get(`${cdr.party_id}*${cdr.cdr_location.id}`)!;
  const endOf = (cdr: Record<string, any>) => Date.parse(cdr.end_date_time) / 1000;
  const push = (cdr: Record<string, any>, label: AnomalyType | null, publishAt = endOf(cdr)) => {
    out.push({ cdr, label, publishAt });
    if (label) labels[label].add(cdrFindingKey(label, { country_code: cdr.country_code, party_id: cdr.party_id, id: cdr.id }));
  };

  // ---- daily volumes per CPO, with drift days: three spikes (×4) and three outages (no CDRs)
  const perDay = (options.cdrs * (1 - rate * 8)) / (cpos.length * days);
  const driftDays = new Map<string, 'spike' | 'outage'>();
  const driftWindow = [Math.max(30, Math.floor(days * 0.5)), days - 3];
  cpos.forEach((cpo, i) => {
    if (driftWindow[0] > driftWindow[1] || options.drift === false) return;
    const d = r.int(driftWindow[0], driftWindow[1]);
    driftDays.set(`${cpo.party_id}:${d}`, i % 2 === 0 ? 'spike' : 'outage');
  });
  for (let d = 0; d < days; d++) {
    const dayStart = start + d * 86_400;
    for (const cpo of cpos) {
      const drift = driftDays.get(`${cpo.party_id}:${d}`);
      const n = drift === 'outage' ? 0 : r.poisson(perDay * (drift === 'spike' ? 4 : 1));
      if (drift) labels.party_volume_drift.add(`party_volume_drift:${cpo.country_code}*${cpo.party_id}:${cpo.currency}:${iso(dayStart).slice(0, 10)}`);
      const locs = locations.filter((l) => l.party.party_id === cpo.party_id);
      for (let k = 0; k < n; k++) {
        const cdr = makeCdr(r.pick(locs), dayStart);
        if (cdr) push(cdr, null);
      }
    }
  }

  // ---- legitimate credit CDRs with a corrected re-issue (must not be flagged)
  const pool = out.filter((o) => o.label === null && !o.cdr.credit);
  const used = new Set<string>();
  const takeNormal = (filter: (g: GeneratedCdr) => boolean): GeneratedCdr | null => {
    for (let tries = 0; tries < 500; tries++) {
      const g = r.pick(pool);
      if (!used.has(g.cdr.id) && g.label === null && filter(g)) {
        used.add(g.cdr.id);
        return g;
      }
    }
    return null;
  };
  const dayIndex = (g: GeneratedCdr) => Math.floor((endOf(g.cdr) - start) / 86_400);
  const clone = (cdr: Record<string, any>) => JSON.parse(JSON.stringify(cdr)) as Record<string, any>;
  const newId = (cdr: Record<string, any>) => `${cdr.party_id}${String(++serial).padStart(8, '0')}`;
  const injections = rate > 0 ? Math.max(3, Math.round(options.cdrs * rate)) : 0;
  for (let i = 0; i < Math.max(2, Math.round(injections / 4)); i++) {
    const g = takeNormal(() => true);
    if (!g) break;
    const credit = clone(g.cdr);
    credit.id = `${g.cdr.id}-C`;
    credit.credit = true;
    credit.credit_reference_id = g.cdr.id;
    for (const f of ['total_cost', 'total_fixed_cost', 'total_energy_cost', 'total_time_cost', 'total_parking_cost']) {
      if (credit[f]) credit[f] = { excl_vat: -credit[f].excl_vat, incl_vat: -credit[f].incl_vat };
    }
    push(credit, null, g.publishAt + 3600);
    const reissue = clone(g.cdr);
    reissue.id = newId(g.cdr);
    push(reissue, null, g.publishAt + 3601);
  }

  for (let i = 0; i < injections; i++) {
    // price billed above (or below) what the tariff gives
    let g = takeNormal((x) => locOf(x.cdr).tariffKnown);
    if (g) {
      const f = r.next() < 0.7 ? r.between(1.15, 1.6) : r.between(0.5, 0.85);
      g.cdr.total_cost = { excl_vat: Math.round(g.cdr.total_cost.excl_vat * f * 100) / 100, incl_vat: Math.round(g.cdr.total_cost.incl_vat * f * 100) / 100 };
      relabel(g, 'price_mismatch');
    }
    // the same session billed again under a new id, later
    g = takeNormal(() => true);
    if (g) {
      const copy = clone(g.cdr);
      copy.id = newId(g.cdr);
      copy.last_updated = iso(Date.parse(g.cdr.last_updated) / 1000 + 86_400);
      push(copy, 'duplicate_session', g.publishAt + r.between(600, 2 * 86_400));
    }
    // the same token charging elsewhere while its session runs
    g = takeNormal((x) => Date.parse(x.cdr.end_date_time) - Date.parse(x.cdr.start_date_time) > 1800_000);
    if (g) {
      const s = Date.parse(g.cdr.start_date_time) / 1000;
      const e = endOf(g.cdr);
      const at = Math.floor(s + (e - s) * r.between(0.2, 0.6));
      const token = g.cdr.cdr_token;
      const otherLocs = locations.filter((l) => l.id !== g!.cdr.cdr_location.id || l.party.party_id !== g!.cdr.party_id);
      const y = makeCdr(r.pick(otherLocs), start, token, at);
      if (y) {
        // Only the one overlap is injected: Y must not also run into another session of the token.
        const ys = Date.parse(y.start_date_time) / 1000;
        const ye = endOf(y);
        const others = (busy.get(token.uid) ?? []).filter(([a, b]) => !(a === s && b === e) && !(a === ys && b === ye));
        if (others.some(([a, b]) => a < ye + 600 && ys < b + 600)) {
          busy.set(token.uid, (busy.get(token.uid) ?? []).filter(([a, b]) => !(a === ys && b === ye)));
        } else push(y, 'overlapping_sessions', Math.max(g.publishAt, endOf(y)) + 1);
      }
    }
    // more energy than the connector can deliver in the session's time
    g = takeNormal((x) => locOf(x.cdr).tariffKnown && !x.cdr.total_parking_time);
    if (g) {
      const loc = locOf(g.cdr);
      const kw = loc.connectors[0].kw;
      const hours = (endOf(g.cdr) - Date.parse(g.cdr.start_date_time) / 1000) / 3600;
      const energy = r3(kw * hours * r.between(1.6, 3) + 1);
      g.cdr.total_energy = energy;
      g.cdr.charging_periods[0].dimensions[0].volume = energy;
      price(g.cdr, loc);
      relabel(g, 'impossible_energy');
    }
    // a zero or negative total on a CDR that is not a credit
    g = takeNormal(() => true);
    if (g) {
      const v = r.next() < 0.6 ? 0 : -Math.round(r.between(1, 20) * 100) / 100;
      g.cdr.total_cost = { excl_vat: v, incl_vat: v };
      for (const f of ['total_fixed_cost', 'total_energy_cost', 'total_time_cost', 'total_parking_cost']) delete g.cdr[f];
      relabel(g, 'non_positive_total');
    }
    // energy with no charging time
    g = takeNormal((x) => locOf(x.cdr).tariffKnown && !x.cdr.total_parking_time);
    if (g) {
      g.cdr.total_time = 0;
      relabel(g, 'energy_without_time');
    }
    // a price per kWh far from the location's and tariff's usual, where the hub does not know the
    // tariff: billed with no tariff in the CDR, or billed consistently with a tariff the CDR
    // carries at several times the usual prices (the embedded tariff confirms the total, not the price)
    const embedded = i % 2 === 1;
    g = takeNormal((x) => !locOf(x.cdr).tariffKnown && x.cdr.total_energy >= 8 && dayIndex(x) >= 15 && Boolean(x.cdr.tariffs) === embedded);
    if (g) {
      const f = r.between(2.5, 4);
      if (embedded) {
        const loc = locOf(g.cdr);
        const dear: Tariff = { ...loc.tariff, elements: loc.tariff.elements.map((e) => ({ ...e, price_components: e.price_components.map((c) => ({ ...c, price: r3(Number(c.price) * f) })) })) };
        g.cdr.tariffs = [dear];
        price(g.cdr, loc, dear);
      } else {
        g.cdr.total_cost = { excl_vat: Math.round(g.cdr.total_cost.excl_vat * f * 100) / 100, incl_vat: Math.round(g.cdr.total_cost.incl_vat * f * 100) / 100 };
      }
      relabel(g, 'price_per_kwh_outlier');
    }
    // a CDR for a session that ended 100–300 days ago
    const loc = r.pick(locations);
    const lateDay = today - r.int(100, 300) * 86_400;
    const late = makeCdr(loc, lateDay);
    if (late) push(late, 'late_cdr', start + r.between(0, days * 86_400));
  }

  function relabel(g: GeneratedCdr, label: AnomalyType) {
    g.label = label;
    labels[label].add(cdrFindingKey(label, { country_code: g.cdr.country_code, party_id: g.cdr.party_id, id: g.cdr.id }));
  }

  out.sort((a, b) => a.publishAt - b.publishAt);
  return { parties: { cpos: cpos.map(({ country_code, party_id, currency }) => ({ country_code, party_id, currency })), emsps: EMSPS }, locations, tariffs, cdrs: out, labels };
}
