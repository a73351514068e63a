// Pure rules: what a CDR is worth in the clearing and which hub fees it carries.
import { divRoundHalfEven, toUnits } from './money.ts';

export type FeePayer = 'CPO' | 'EMSP' | 'SPLIT';
export type VatTreatment = 'INCL_VAT' | 'EXCL_VAT';

export interface FeeTerms {
  /** Fixed fee per CDR, units at scale 4. */
  feeFixed: bigint;
  /** Percentage of the CDR value in parts per million (1.5 % = 15000). */
  feeRatePpm: number;
  feePayer: FeePayer;
  vatTreatment: VatTreatment;
}

export interface CdrValue {
  excl: bigint;
  incl: bigint | null;
}

export function cdrValue(totalCost: { excl_vat: string | number; incl_vat?: string | number | null }): CdrValue {
  return { excl: toUnits(totalCost.excl_vat), incl: totalCost.incl_vat == null ? null : toUnits(totalCost.incl_vat) };
}

/** The amount the eMSP owes the CPO for this CDR under the agreement's VAT treatment. */
export function settledAmount(value: CdrValue, vat: VatTreatment): bigint {
  return vat === 'INCL_VAT' ? (value.incl ?? value.excl) : value.excl;
}

/** Hub fees: fixed plus a percentage of the settled amount (half-even), charged to CPO, eMSP or split (the odd unit to the eMSP). */
export function hubFees(amount: bigint, terms: Pick<FeeTerms, 'feeFixed' | 'feeRatePpm' | 'feePayer'>): { feeCpo: bigint; feeEmsp: bigint } {
  const base = amount < 0n ? 0n : amount;
  const total = terms.feeFixed + divRoundHalfEven(base * BigInt(terms.feeRatePpm), 1_000_000n);
  if (terms.feePayer === 'CPO') return { feeCpo: total, feeEmsp: 0n };
  if (terms.feePayer === 'EMSP') return { feeCpo: 0n, feeEmsp: total };
  const feeCpo = total / 2n;
  return { feeCpo, feeEmsp: total - feeCpo };
}
