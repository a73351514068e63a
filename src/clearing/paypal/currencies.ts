// The currencies PayPal moves (Orders, Payouts, Refunds), as PayPal documents them:
// https://developer.paypal.com/reference/currency-codes/ (REST API currency codes). PayPal refuses
// any other with 422 CURRENCY_NOT_SUPPORTED, so the hub settles statements in those outside PayPal
// (bank transfers recorded with `hub statements pay`). BRL, CNY, MYR and PHP are taken for in-country
// accounts only; they are listed because PayPal accepts the code, and what it then does with the
// money is the account holder's arrangement with PayPal.
const PAYPAL_CURRENCIES: ReadonlySet<string> = new Set([
  'AUD', 'BRL', 'CAD', 'CNY', 'CZK', 'DKK', 'EUR', 'HKD', 'HUF', 'ILS', 'JPY', 'MYR',
  'MXN', 'TWD', 'NZD', 'NOK', 'PHP', 'PLN', 'GBP', 'SGD', 'SEK', 'CHF', 'THB', 'USD',
]);

/** Whether PayPal takes amounts in this ISO 4217 code at all (KWD, KRW, CLP… it does not). */
export function paypalSupports(currency: string): boolean {
  return PAYPAL_CURRENCIES.has(currency.trim().toUpperCase());
}
