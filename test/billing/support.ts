// Fixtures for billing and portal tests: a closed, netted cycle with statements for a fresh CPO and
// eMSP pair (the eMSP pays), optionally settled through the PayPal stand-in so the payer's
// statement carries a pay link.
import { bookCdr } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, statementId } from '../../src/clearing/statements.ts';
import { settleCycles } from '../../src/clearing/settlement.ts';
import { setPayee } from '../../src/clearing/agreements.ts';
import { createPayPal } from '../../src/clearing/paypal/client.ts';
import type { PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import type { Db } from '../../src/store/db.ts';
import { syncStatements } from '../../src/billing/tracking.ts';
import { aCdr, aParty, anAgreement, cdrMessage } from '../clearing/support.ts';

const usedPeriods = new Set<string>();

/** A past month no other test of this run uses (cycles are per period and currency). */
export function aPastPeriod(): string {
  for (;;) {
    const year = 2001 + Math.floor(Math.random() * 24);
    const month = 1 + Math.floor(Math.random() * 12);
    const period = `${year}-${String(month).padStart(2, '0')}`;
    if (!usedPeriods.has(period)) {
      usedPeriods.add(period);
      return period;
    }
  }
}

/** A month far ahead (statements not yet due), unique in this run. */
export function aFuturePeriod(): string {
  for (;;) {
    const period = `${2060 + Math.floor(Math.random() * 39)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`;
    if (!usedPeriods.has(period)) {
      usedPeriods.add(period);
      return period;
    }
  }
}

export interface BilledCycle {
  cpo: string;
  emsp: string;
  period: string;
  cycleIds: string[];
  agreementId: string;
  cdrIds: string[];
  /** The eMSP's statement (it pays) and the CPO's (it is paid). */
  payerStatement: string;
  payeeStatement: string;
}

export async function aBilledCycle(db: Db, options: { period?: string; cdrs?: number; excl?: string; paymentTermsDays?: number; currency?: string; disputeWindowDays?: number } = {}): Promise<BilledCycle> {
  const cpo = await aParty(db, ['CPO']);
  const emsp = await aParty(db, ['EMSP'], 'BE');
  const currency = options.currency ?? 'EUR';
  const agreement = await anAgreement(db, cpo, emsp, { valid_from: '2000-01-01T00:00:00Z', currencies: [currency], payment_terms_days: options.paymentTermsDays ?? 14, dispute_window_days: options.disputeWindowDays ?? 30 });
  const period = options.period ?? aPastPeriod();
  const cdrIds: string[] = [];
  for (let i = 0; i < (options.cdrs ?? 3); i++) {
    const cdr = aCdr(cpo, { currency, excl: options.excl ?? '20.00', end: `${period}-${String(3 + i).padStart(2, '0')}T10:00:00Z` });
    await bookCdr(db, cdrMessage(cdr, emsp));
    // The hub's own copy, as the CDR receiver stores it (the portal lists these).
    await db('cdrs').insert({ country_code: cdr.country_code, party_id: cdr.party_id, cdr_id: cdr.id, data: JSON.stringify(cdr), content_hash: cdr.id, receiver: emsp, routing: 'direct', validation: JSON.stringify(i === 0 ? [{ path: 'total_energy', rule: 'energy_mismatch', severity: 'warning', message: 'total_energy differs from the charging periods' }] : []), last_updated: cdr.last_updated });
    cdrIds.push(cdr.id);
  }
  const cycles = (await openCycles(db, period, currency)).filter((c) => c.currency === currency);
  const ids = cycles.map((c) => c.id);
  await closeCycles(db, ids);
  await netCycles(db, ids);
  await generateStatements(db, ids, { name: 'Test Hub', party: 'NL-HUB' });
  const label = { period, currency };
  await syncStatements(db);
  return { cpo, emsp, period, cycleIds: ids, agreementId: agreement.id, cdrIds, payerStatement: statementId(label, emsp), payeeStatement: statementId(label, cpo) };
}

/** Settlement through the stand-in: creates the payer's PayPal order (the pay link) and pays the payee. */
export async function settle(db: Db, standIn: PayPalStandIn, cycle: BilledCycle) {
  await setPayee(db, cycle.cpo, `${cycle.cpo.toLowerCase()}@partners.example`, { actor: 'test' });
  const paypal = createPayPal({ environment: 'standin', clientId: 'cid', clientSecret: 'secret', baseUrl: standIn.url, backoffMs: 5, timeoutMs: 2000 });
  const { listCycles } = await import('../../src/clearing/cycles.ts');
  const cycles = (await listCycles(db, { period: cycle.period })).filter((c) => cycle.cycleIds.includes(c.id));
  return settleCycles(db, paypal, cycles);
}
