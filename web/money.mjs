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
