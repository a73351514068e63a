// Helpers for the clearing integration tests: a knex pool on the run's database, parties inserted
// directly (registration is tested elsewhere), CDR builders and OCPI push messages.
import { randomBytes, randomUUID } from 'node:crypto';
import { createDb, type Db } from '../../src/store/db.ts';
import { testConfig } from '../support/hub.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { createAgreement, setPayee, type AgreementInput } from '../../src/clearing/agreements.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, getCycle, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, statementId } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import type { PayPalGateway } from '../../src/clearing/paypal/client.ts';
import type { PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';

/** The run's configuration (PORT is irrelevant here; testConfig's placeholder 0 is not a valid port). */
export function clearingConfig(overrides: Record<string, string> = {}) {
  return testConfig({ PORT: '18080', ...overrides });
}

export function clearingDb(max = 10): Db {
  return createDb(clearingConfig().DATABASE_URL, { max });
}

const used = new Set<string>();
/**
 * G and two random letters or digits. These parties are REGISTERED in the run's shared database and
 * stay so; no fixed party id of any test file starts with G, so a random one can never take the
 * party another file registers later (a random DE-KTM once refused commandTokenRouting's eMSP).
 */
function randomPartyId(): string {
  for (;;) {
    const id = `G${randomBytes(3).toString('base64').replace(/[^A-Za-z0-9]/g, '').toUpperCase().slice(0, 2)}`;
    if (id.length === 3 && !used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Inserts a platform holding the given roles under one fresh party id; returns "CC-PID". */
export async function aParty(db: Db, roles: ('CPO' | 'EMSP')[], countryCode = 'NL'): Promise<string> {
  for (;;) {
    const partyId = randomPartyId();
    const clash = await db('parties').whereRaw('upper(country_code) = ? AND upper(party_id) = ?', [countryCode, partyId]).first('id');
    if (clash) continue;
    const [platform] = await db('platforms').insert({ name: `clearing test ${partyId}`, state: 'REGISTERED' }).returning('id');
    for (const role of roles) {
      await db('parties').insert({ platform_id: platform.id, country_code: countryCode, party_id: partyId, role, business_details: JSON.stringify({ name: `${role} ${partyId} B.V.` }), status: 'CONNECTED' });
    }
    return `${countryCode}-${partyId}`;
  }
}

export async function anAgreement(db: Db, cpo: string, emsp: string, overrides: Partial<AgreementInput> = {}) {
  return createAgreement(
    db,
    {
      cpo,
      emsp,
      valid_from: '2026-01-01T00:00:00Z',
      currencies: ['EUR'],
      fee_fixed: '0.05',
      fee_percent: '1',
      fee_payer: 'CPO',
      settlement_period: 'MONTHLY',
      payment_terms_days: 14,
      dispute_window_days: 30,
      vat_treatment: 'INCL_VAT',
      ...overrides,
    },
    'test',
  );
}

export interface CdrOverrides {
  id?: string;
  currency?: string;
  excl?: string;
  incl?: string | null;
  end?: string;
  energy?: string;
  credit?: { of: string };
}

export function aCdr(cpo: string, o: CdrOverrides = {}) {
  const { country_code, party_id } = parsePartyRef(cpo);
  const end = o.end ?? '2026-11-10T12:00:00Z';
  const start = new Date(Date.parse(end) - 3600_000).toISOString();
  const excl = o.excl ?? '10.00';
  const incl = o.incl === undefined ? (Number(excl) * 1.21).toFixed(4) : o.incl;
  return {
    country_code,
    party_id,
    id: o.id ?? `CDR${randomUUID().slice(0, 18)}`,
    start_date_time: start,
    end_date_time: end,
    cdr_token: { country_code: 'NL', party_id: 'EMS', uid: 'TOKEN1', type: 'RFID', contract_id: 'NL-EMS-C12345678-X' },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'LOC1', address: 'Street 1', city: 'Utrecht', country: 'NLD', coordinates: { latitude: '52.0', longitude: '5.1' }, evse_uid: 'E1', evse_id: 'NL*CPO*E1', connector_id: '1', connector_standard: 'IEC_62196_T2', connector_format: 'SOCKET', connector_power_type: 'AC_3_PHASE' },
    currency: o.currency ?? 'EUR',
    total_cost: incl === null ? { excl_vat: excl } : { excl_vat: excl, incl_vat: incl },
    total_energy: o.energy ?? '15.5',
    total_time: 1,
    charging_periods: [{ start_date_time: start, dimensions: [{ type: 'ENERGY', volume: 15.5 }] }],
    ...(o.credit ? { credit: true, credit_reference_id: o.credit.of } : {}),
    last_updated: end,
  };
}

export function cdrMessage(cdr: { country_code: string; party_id: string; id: string }, emsp: string | null): OcpiPushMessage {
  const receiver = emsp ? { country_code: parsePartyRef(emsp).country_code, party_id: parsePartyRef(emsp).party_id } : null;
  return {
    module: 'cdrs',
    event: 'post',
    path: [],
    body: cdr,
    object_key: `${cdr.country_code}*${cdr.party_id}*${cdr.id}`,
    sender: { country_code: cdr.country_code, party_id: cdr.party_id },
    from: { country_code: cdr.country_code, party_id: cdr.party_id },
    receiver,
    routing: 'direct',
    request_id: randomUUID(),
    correlation_id: randomUUID(),
    accepted_at: new Date().toISOString(),
  };
}

export interface PaidCycle {
  cpo: string;
  emsp: string;
  period: string;
  currency: string;
  cycleId: string;
  cdrs: ReturnType<typeof aCdr>[];
}

/**
 * A fresh CPO and eMSP with an agreement (hub fee split, so both sides pay one), CDRs of one
 * period booked, and the cycle taken to settled through the stand-in: the CPO paid out, the eMSP's
 * order approved and captured (with `pay: false`, left at the order nobody approved yet).
 */
export async function aPaidCycle(db: Db, paypal: PayPalGateway, standIn: PayPalStandIn, o: { period: string; currency: string; excl: string[]; pay?: boolean }): Promise<PaidCycle> {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'BE');
  await anAgreement(db, cpo, emsp, { currencies: [o.currency], fee_payer: 'SPLIT' });
  for (const p of [cpo, emsp]) await setPayee(db, p, `${p.toLowerCase()}@paid.example`, { actor: 'test' });
  const cdrs = o.excl.map((excl, i) => aCdr(cpo, { currency: o.currency, excl, end: `${o.period}-${String(10 + i).padStart(2, '0')}T12:00:00Z` }));
  await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));
  const [cycle] = await openCycles(db, o.period, o.currency);
  await closeCycles(db, [cycle.id]);
  await netCycles(db, [cycle.id]);
  await generateStatements(db, [cycle.id], { name: 'Test Hub', party: 'NL-HUB' });
  await settleCycles(db, paypal, [await getCycle(db, cycle.id)]);
  if (o.pay === false) return { cpo, emsp, period: o.period, currency: o.currency, cycleId: cycle.id, cdrs };
  approveOrdersOf(standIn, statementId(cycle, emsp));
  const [report] = await settleCycles(db, paypal, [await getCycle(db, cycle.id)]);
  if (report.state !== 'settled') throw new Error(`cycle ${o.period} ${o.currency} not settled: ${JSON.stringify(report)}`);
  return { cpo, emsp, period: o.period, currency: o.currency, cycleId: cycle.id, cdrs };
}

/** The payer approving, in the browser, the order of its statement. */
export function approveOrdersOf(standIn: PayPalStandIn, statement: string): void {
  for (const order of standIn.orders.values()) if (order.purchase_units[0].invoice_id === statement) standIn.approve(order.id);
}
