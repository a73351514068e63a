// Whether the hub's price breakdown adds up to what the CDR charges. The page answers "why was I
// charged this?" with the breakdown; where it gives another total (the tariff changed since, the
// CPO priced otherwise) it must say so, not let the reader take it for the charge explained.
import { Decimal } from 'decimal.js';

/** The tolerance validateCdr allows before a price_mismatch finding. */
const TOLERANCE = new Decimal('0.01');

type Amount = string | number | null | undefined;

export interface PriceCheck {
  agrees: boolean;
  computed: { excl_vat: string; incl_vat: string };
  charged: { excl_vat: string; incl_vat: string | null };
  /** What the CDR charges minus what the hub computes, excl. VAT. */
  difference: string;
}

const dec = (v: Amount) => (v === null || v === undefined || v === '' ? null : new Decimal(String(v)));

/** undefined when either side has no total excl. VAT to compare. */
export function checkPrice(computed: { excl_vat: Amount; incl_vat: Amount } | undefined, charged: { excl_vat?: Amount; incl_vat?: Amount } | undefined, credit = false): PriceCheck | undefined {
  const sign = credit ? -1 : 1;
  const cExcl = dec(computed?.excl_vat)?.times(sign);
  const cIncl = dec(computed?.incl_vat)?.times(sign);
  const bExcl = dec(charged?.excl_vat);
  const bIncl = dec(charged?.incl_vat);
  if (!cExcl || !cIncl || !bExcl) return undefined;
  const differs = (a: Decimal, b: Decimal) => a.minus(b).abs().greaterThan(TOLERANCE);
  return {
    agrees: !differs(cExcl, bExcl) && (bIncl === null || !differs(cIncl, bIncl)),
    computed: { excl_vat: cExcl.toFixed(), incl_vat: cIncl.toFixed() },
    // As the CDR writes them, like the "Charged" line above the breakdown.
    charged: { excl_vat: String(charged?.excl_vat), incl_vat: bIncl === null ? null : String(charged?.incl_vat) },
    difference: bExcl.minus(cExcl).toFixed(),
  };
}
