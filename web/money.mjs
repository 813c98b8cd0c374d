// Money for display: integer minor units ("cents") → text, using the currency's exponent
// (SEMANTICS §1: 0 for JPY/HUF/KRW..., 3 for BHD/JOD/KWD, 4 for CLF, 1 for MRO, else 2).
// Exact: digits are placed by string arithmetic, never through a float. Shared by the page
// and its tests, so both print the same text for the same cents.

const EXPONENT = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, HUF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, MGA: 0, PYG: 0,
  RWF: 0, UGX: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, JOD: 3, KWD: 3,
  CLF: 4,
  MRO: 1,
};

const SYMBOL = { EUR: '€', USD: '$', GBP: '£', JPY: '¥', CHF: 'CHF ', CAD: 'CA$', AUD: 'A$',
  INR: '₹', BRL: 'R$', KRW: '₩', SEK: 'SEK ', NOK: 'NOK ', DKK: 'DKK ', PLN: 'PLN ' };

export function currencyExponent(currency) {
  return EXPONENT[String(currency).toUpperCase()] ?? 2;
}

/** 123456 EUR → "€1,234.56"; -5 EUR → "−€0.05"; 1500 JPY → "¥1,500". */
export function formatMoney(cents, currency) {
  const exp = currencyExponent(currency);
  let digits = BigInt(cents).toString();
  const negative = digits.startsWith('-');
  if (negative) digits = digits.slice(1);
  digits = digits.padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp);
  const frac = digits.slice(digits.length - exp);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = SYMBOL[String(currency).toUpperCase()] ?? `${currency} `;
  return `${negative ? '−' : ''}${symbol}${grouped}${exp ? '.' + frac : ''}`;
}

/** A decimal string ("0.0125") shown with at least `min` and at most `max` decimals. */
export function formatDecimal(text, min = 0, max = 6) {
  const [int, frac = ''] = String(text).split('.');
  let f = frac.slice(0, max).replace(/0+$/, '');
  if (f.length < min) f = f.padEnd(min, '0');
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f ? '.' + f : '');
}

/** An exact decimal amount in major units ("12.345") with the currency's symbol: "€12.345". */
export function formatAmount(text, currency) {
  const s = String(text);
  const negative = s.startsWith('-');
  const symbol = SYMBOL[String(currency).toUpperCase()] ?? `${currency} `;
  const exp = currencyExponent(currency);
  return `${negative ? '−' : ''}${symbol}${formatDecimal(negative ? s.slice(1) : s, exp, 18)}`;
}

/**
 * How the page prints a value it shows with data-fmt: the browser test formats the CLI's value
 * with this same function and compares the text.
 *   money: cents → "€1,234.56"; credit: cents shown as a deduction "−€12.00"; amount: exact
 *   decimal in major units; units: up to 4 decimals; price: 2 to 6 decimals; count: integer.
 */
export function formatValue(fmt, value, currency) {
  switch (fmt) {
    case 'money': return formatMoney(value, currency);
    case 'credit': return formatMoney(-BigInt(value), currency);
    case 'amount': return formatAmount(value, currency);
    case 'units': return formatDecimal(String(value), 0, 4);
    case 'price': return formatDecimal(String(value), 2, 6);
    default: return String(value);
  }
}
