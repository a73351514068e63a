// Roaming agreements (billing contracts) between a CPO and an eMSP through the hub. Rows are never
// deleted; every change bumps the version and the database writes the history row. Creating and
// ending one also writes an audit row in the same transaction: the history says what the agreement
// was at each version, the audit log is where an operator looks for who did what across the hub.
import { z } from 'zod';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type { Executor } from './ledger.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { formatUnits, toUnits } from './money.ts';
import { parsePartyRef, PartyRefSchema, partyRef } from './parties.ts';
import type { FeePayer, VatTreatment } from './fees.ts';
import type { SettlementPeriod } from './periods.ts';

const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return toUnits(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const dateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an RFC 3339 date-time');

/** The wire shape (admin API body, CLI flags mapped onto it). */
export const AgreementInputSchema = z.object({
  reference: z.string().max(200).optional(),
  cpo: PartyRefSchema,
  emsp: PartyRefSchema,
  valid_from: dateTime,
  valid_to: dateTime.nullish(),
  currencies: z.array(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')).min(1),
  fee_fixed: decimal.default(0n).refine((v) => v >= 0n, 'must not be negative'),
  fee_percent: decimal.default(0n).refine((v) => v >= 0n && v <= 1_000_000n, 'must be between 0 and 100'),
  fee_payer: z.enum(['CPO', 'EMSP', 'SPLIT']),
  settlement_period: z.enum(['WEEKLY', 'MONTHLY']).default('MONTHLY'),
  payment_terms_days: z.number().int().min(0).max(365).default(30),
  dispute_window_days: z.number().int().min(0).max(365).default(60),
  vat_treatment: z.enum(['INCL_VAT', 'EXCL_VAT']).default('INCL_VAT'),
});
export type AgreementInput = z.input<typeof AgreementInputSchema>;

export interface Agreement {
  id: string;
  reference: string | null;
  cpo: string;
  emsp: string;
  validFrom: Date;
  validTo: Date | null;
  currencies: string[];
  feeFixed: bigint;
  feeRatePpm: number;
  feePayer: FeePayer;
  settlementPeriod: SettlementPeriod;
  paymentTermsDays: number;
  disputeWindowDays: number;
  vatTreatment: VatTreatment;
  status: 'ACTIVE' | 'ENDED';
  version: number;
  createdAt: Date;
  createdBy: string;
  endedAt: Date | null;
}

export interface AgreementRow {
  id: string;
  reference: string | null;
  cpo_country_code: string;
  cpo_party_id: string;
  emsp_country_code: string;
  emsp_party_id: string;
  valid_from: Date;
  valid_to: Date | null;
  currencies: string[];
  fee_fixed: string;
  fee_rate_ppm: number;
  fee_payer: FeePayer;
  settlement_period: SettlementPeriod;
  payment_terms_days: number;
  dispute_window_days: number;
  vat_treatment: VatTreatment;
  status: 'ACTIVE' | 'ENDED';
  version: number;
  created_at: Date;
  created_by: string;
  ended_at: Date | null;
}

export const toAgreement = (r: AgreementRow): Agreement => ({
  id: r.id,
  reference: r.reference,
  cpo: partyRef(r.cpo_country_code, r.cpo_party_id),
  emsp: partyRef(r.emsp_country_code, r.emsp_party_id),
  validFrom: r.valid_from,
  validTo: r.valid_to,
  currencies: r.currencies,
  feeFixed: BigInt(r.fee_fixed),
  feeRatePpm: r.fee_rate_ppm,
  feePayer: r.fee_payer,
  settlementPeriod: r.settlement_period,
  paymentTermsDays: r.payment_terms_days,
  disputeWindowDays: r.dispute_window_days,
  vatTreatment: r.vat_treatment,
  status: r.status,
  version: r.version,
  createdAt: r.created_at,
  createdBy: r.created_by,
  endedAt: r.ended_at,
});

/** The wire shape of an agreement (snake_case, decimal strings). */
export function presentAgreement(a: Agreement) {
  return {
    id: a.id,
    reference: a.reference,
    cpo: a.cpo,
    emsp: a.emsp,
    valid_from: a.validFrom.toISOString(),
    valid_to: a.validTo?.toISOString() ?? null,
    currencies: a.currencies,
    fee_fixed: formatUnits(BigInt(a.feeFixed)),
    fee_percent: formatUnits(BigInt(a.feeRatePpm)),
    fee_payer: a.feePayer,
    settlement_period: a.settlementPeriod,
    payment_terms_days: a.paymentTermsDays,
    dispute_window_days: a.disputeWindowDays,
    vat_treatment: a.vatTreatment,
    status: a.status,
    version: a.version,
    created_at: a.createdAt.toISOString(),
    created_by: a.createdBy,
    ended_at: a.endedAt?.toISOString() ?? null,
  };
}

export function parseAgreementInput(body: unknown) {
  const result = AgreementInputSchema.safeParse(body);
  if (!result.success) throw invalid(result.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
  return result.data;
}

async function partyHasRole(db: Executor, ref: string, role: 'CPO' | 'EMSP'): Promise<boolean> {
  const { country_code, party_id } = parsePartyRef(ref);
  const row = await db('parties').whereRaw('upper(country_code) = ? AND upper(party_id) = ? AND role = ?', [country_code, party_id, role]).first('id');
  return Boolean(row);
}

/** Creates an agreement (refusing overlaps for the same pair and currency), then releases held CDRs it covers. */
export async function createAgreement(db: Db, body: unknown, actor: string): Promise<Agreement> {
  const input = parseAgreementInput(body);
  const cpo = parsePartyRef(input.cpo);
  const emsp = parsePartyRef(input.emsp);
  const validFrom = new Date(input.valid_from);
  const validTo = input.valid_to ? new Date(input.valid_to) : null;
  if (validTo && validTo <= validFrom) throw invalid('valid_to: must be after valid_from');
  // fee_percent arrives as a percent at scale 4 (1.5 % = 15000 units), which is exactly parts per million.
  const feeRatePpm = Number(input.fee_percent);
  const agreement = await db.transaction(async (trx) => {
    if (!(await partyHasRole(trx, input.cpo, 'CPO'))) throw invalid(`cpo: ${input.cpo} is not a known CPO party`);
    if (!(await partyHasRole(trx, input.emsp, 'EMSP'))) throw invalid(`emsp: ${input.emsp} is not a known eMSP party`);
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`clearing:agreement:${input.cpo}:${input.emsp}`]);
    const overlapping = await trx('clearing_agreements')
      .where({ cpo_country_code: cpo.country_code, cpo_party_id: cpo.party_id, emsp_country_code: emsp.country_code, emsp_party_id: emsp.party_id })
      .whereRaw('currencies && ?::text[]', [input.currencies])
      .whereRaw('(valid_to IS NULL OR valid_to > ?)', [validFrom])
      .whereRaw('(?::timestamptz IS NULL OR valid_from < ?::timestamptz)', [validTo, validTo])
      .first('id');
    if (overlapping) throw conflict(`an agreement for ${input.cpo} → ${input.emsp} already covers part of this period and currency (${overlapping.id}); end it first`);
    const [row] = await trx<AgreementRow>('clearing_agreements')
      .insert({
        reference: input.reference ?? null,
        cpo_country_code: cpo.country_code,
        cpo_party_id: cpo.party_id,
        emsp_country_code: emsp.country_code,
        emsp_party_id: emsp.party_id,
        valid_from: validFrom,
        valid_to: validTo,
        currencies: input.currencies,
        fee_fixed: input.fee_fixed.toString(),
        fee_rate_ppm: feeRatePpm,
        fee_payer: input.fee_payer,
        settlement_period: input.settlement_period,
        payment_terms_days: input.payment_terms_days,
        dispute_window_days: input.dispute_window_days,
        vat_treatment: input.vat_treatment,
        created_by: actor,
      } as never)
      .returning('*');
    const created = toAgreement(row);
    const { id: _id, created_at: _at, created_by: _by, ended_at: _ended, ...terms } = presentAgreement(created);
    await audit(trx, { actor, action: 'clearing.agreement_create', subject: created.id, details: terms });
    return created;
  });
  const { releaseHeldBookings } = await import('./booking.ts');
  await releaseHeldBookings(db, { cpo: agreement.cpo, emsp: agreement.emsp });
  return agreement;
}

export async function listAgreements(db: Executor, filter: { party?: string; status?: 'ACTIVE' | 'ENDED' } = {}): Promise<Agreement[]> {
  const q = db<AgreementRow>('clearing_agreements').orderBy('created_at');
  if (filter.status) q.where({ status: filter.status });
  if (filter.party) {
    const p = parsePartyRef(filter.party);
    q.where((w) =>
      w.where({ cpo_country_code: p.country_code, cpo_party_id: p.party_id }).orWhere({ emsp_country_code: p.country_code, emsp_party_id: p.party_id }),
    );
  }
  return (await q).map(toAgreement);
}

export async function getAgreement(db: Executor, id: string): Promise<Agreement> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`agreement ${id}`);
  const row = await db<AgreementRow>('clearing_agreements').where({ id }).first();
  if (!row) throw notFound(`agreement ${id}`);
  return toAgreement(row);
}

/** Ends an agreement at `at` (default now): CDRs that ended before stay covered; later ones are held. */
export async function endAgreement(db: Db, id: string, options: { at?: Date; actor: string; reason?: string }): Promise<Agreement> {
  const current = await getAgreement(db, id);
  const label = { cpo: current.cpo, emsp: current.emsp, reference: current.reference };
  if (current.status === 'ENDED') {
    await audit(db, { actor: options.actor, action: 'clearing.agreement_end', subject: id, details: { ...label, repeated: true, valid_to: current.validTo?.toISOString() ?? null, version: current.version } });
    return current;
  }
  const at = options.at ?? new Date();
  if (at <= current.validFrom) throw invalid('end: must be after valid_from');
  const validTo = current.validTo && current.validTo < at ? current.validTo : at;
  return db.transaction(async (trx) => {
    const [row] = await trx<AgreementRow>('clearing_agreements')
      .where({ id, version: current.version })
      .update({ status: 'ENDED', valid_to: validTo, ended_at: new Date(), ended_by: options.actor, end_reason: options.reason ?? null, version: current.version + 1 } as never)
      .returning('*');
    if (!row) throw conflict(`agreement ${id} changed meanwhile; retry`);
    const details = { ...label, valid_to_before: current.validTo?.toISOString() ?? null, valid_to: validTo.toISOString(), reason: options.reason ?? null, version: row.version };
    await audit(trx, { actor: options.actor, action: 'clearing.agreement_end', subject: id, details });
    return toAgreement(row);
  });
}

export async function agreementHistory(db: Executor, id: string) {
  return db('clearing_agreement_history').where({ agreement_id: id }).orderBy('id').select('version', 'action', 'actor', 'at', 'snapshot');
}

/** Agreements that may cover CDRs between these pairs (any time, any currency); the caller picks by date and currency. */
export async function agreementsForPairs(db: Executor, pairs: { cpo: string; emsp: string }[]): Promise<Agreement[]> {
  if (pairs.length === 0) return [];
  const keys = [...new Set(pairs.map((p) => `${p.cpo}|${p.emsp}`))].map((k) => {
    const [c, e] = k.split('|');
    const cp = parsePartyRef(c);
    const ep = parsePartyRef(e);
    return [cp.country_code, cp.party_id, ep.country_code, ep.party_id];
  });
  const rows = await db<AgreementRow>('clearing_agreements').whereIn(['cpo_country_code', 'cpo_party_id', 'emsp_country_code', 'emsp_party_id'], keys);
  return rows.map(toAgreement);
}

/** Pure: the agreement covering a CDR that ended at `at` in `currency`, if any. */
export function coveringAgreement(candidates: readonly Agreement[], cdr: { cpo: string; emsp: string; currency: string; at: Date }): Agreement | undefined {
  return candidates
    .filter((a) => a.cpo === cdr.cpo && a.emsp === cdr.emsp && a.currencies.includes(cdr.currency) && a.validFrom <= cdr.at && (a.validTo === null || cdr.at < a.validTo))
    .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime())[0];
}

/**
 * Where a party's payouts go. Changing it redirects money, so it is audited with the receiver it
 * replaces, in the same transaction.
 */
export async function setPayee(db: Db, party: string, receiver: string, options: { actor: string; recipientType?: 'EMAIL' | 'PHONE' | 'PAYPAL_ID' }): Promise<void> {
  const ref = partyRef(parsePartyRef(party).country_code, parsePartyRef(party).party_id);
  const recipientType = options.recipientType ?? 'EMAIL';
  await db.transaction(async (trx) => {
    const before = await trx('clearing_payees').where({ party: ref }).forUpdate().first('paypal_receiver', 'recipient_type');
    await trx('clearing_payees').insert({ party: ref, paypal_receiver: receiver, recipient_type: recipientType }).onConflict('party').merge({ paypal_receiver: receiver, recipient_type: recipientType, updated_at: trx.fn.now() });
    const previous = before ? { receiver: before.paypal_receiver, recipient_type: before.recipient_type } : null;
    await audit(trx, { actor: options.actor, action: 'clearing.payee_set', subject: ref, details: { receiver, recipient_type: recipientType, previous } });
  });
}
