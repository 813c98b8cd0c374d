// The catalog the server tests set up over HTTP, with the numbers worked out by hand.
//
// now = 2024-03-15T12:00:00Z, calendar monthly plan "pro" started 2024-01-01, arrears, USD.
// Organization tax vat20 (20 %, applied_to_organization).
//   api_calls (count) standard 0.02, filter region=eu at 0.05:
//     March events: eu, eu, us → eu 2 × 0.05 = 0.10; default bucket 1 × 0.02 = 0.02 → 12 cents
//     (a February event and another subscription's event are outside the window)
//   storage (sum of gb) graduated 0–10 @1, 11–∞ @0.5 + 2 flat: 4 + 9 = 13 GB
//     → 10 × 1 + (13 − 11 + 1) × 0.5 + 2 = 13.5 → 1350 cents
//   sms (count) standard 0.10 paid in advance: no event yet → 0
// current_usage: amount 12 + 1350 + 0 = 1362; tax round(1362 × 20 %) = round(272.4) = 272;
//   total 1362 + 272 = 1634
// estimate_fees (one sms): 1 × 0.10 = 10 cents
// preview (projection to 2024-04-01): subscription fee 5000 + charges 1362 = 6362 fees;
//   fixed coupon 1000 → base 5362; tax round(5362 × 20 %) = round(1072.4) = 1072.
export const NOW = '2024-03-15T12:00:00Z';
export const CUSTOMER = 'acme';
export const SUB = 'sub-acme';

export const organization = { organization: { timezone: 'UTC', default_currency: 'USD' } };
export const tax = { tax: { code: 'vat20', name: 'VAT 20%', rate: '20.0', applied_to_organization: true } };
export const metrics = [
  { billable_metric: { code: 'api_calls', name: 'API calls', aggregation_type: 'count_agg',
      filters: [{ key: 'region', values: ['eu', 'us'] }] } },
  { billable_metric: { code: 'storage', name: 'Storage', aggregation_type: 'sum_agg', field_name: 'gb' } },
  { billable_metric: { code: 'sms', name: 'SMS', aggregation_type: 'count_agg' } },
];
export const plan = {
  plan: {
    code: 'pro', name: 'Pro', interval: 'monthly', amount_cents: 5000, amount_currency: 'USD',
    pay_in_advance: false,
    minimum_commitment: { amount_cents: 1000, invoice_display_name: 'Commitment' },
    usage_thresholds: [{ threshold_display_name: 'Big', amount_cents: 1000000, recurring: false }],
    charges: [
      { billable_metric_code: 'api_calls', charge_model: 'standard', properties: { amount: '0.02' },
        filters: [{ values: { region: ['eu'] }, properties: { amount: '0.05' }, invoice_display_name: 'EU' }] },
      { billable_metric_code: 'storage', charge_model: 'graduated', properties: { graduated_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '2' }] } },
      { billable_metric_code: 'sms', charge_model: 'standard', pay_in_advance: true, invoiceable: true,
        properties: { amount: '0.10' } },
    ],
  },
};
export const coupon = { coupon: { code: 'welcome', name: 'Welcome', coupon_type: 'fixed_amount',
  amount_cents: 1000, amount_currency: 'USD', frequency: 'once', reusable: true, expiration: 'no_expiration' } };
export const customer = { customer: { external_id: CUSTOMER, name: 'Acme', currency: 'USD', timezone: 'UTC' } };
export const subscription = { subscription: { external_customer_id: CUSTOMER, plan_code: 'pro',
  external_id: SUB, subscription_at: '2024-01-01T00:00:00Z', billing_time: 'calendar' } };
export const events = [
  { transaction_id: 'ev-1', external_subscription_id: SUB, code: 'api_calls', timestamp: '2024-03-02T10:00:00Z', properties: { region: 'eu' } },
  { transaction_id: 'ev-2', external_subscription_id: SUB, code: 'api_calls', timestamp: 1709805600, properties: { region: 'eu' } }, // 2024-03-07T10:00Z
  { transaction_id: 'ev-3', external_subscription_id: SUB, code: 'api_calls', timestamp: '1710237600', properties: { region: 'us' } }, // 2024-03-12T10:00Z
  { transaction_id: 'ev-4', external_subscription_id: SUB, code: 'api_calls', timestamp: '2024-02-20T10:00:00Z', properties: { region: 'eu' } },
  { transaction_id: 'ev-5', external_subscription_id: SUB, code: 'storage', timestamp: '2024-03-02T00:00:00Z', properties: { gb: 4 } },
  { transaction_id: 'ev-6', external_subscription_id: SUB, code: 'storage', timestamp: '2024-03-10T00:00:00Z', properties: { gb: '9' } },
  { transaction_id: 'ev-7', external_subscription_id: 'someone-else', code: 'api_calls', timestamp: '2024-03-10T00:00:00Z', properties: { region: 'eu' } },
];
export const previewBody = { customer: { external_id: CUSTOMER }, subscriptions: { external_ids: [SUB] } };
export const estimateBody = { event: { code: 'sms', external_subscription_id: SUB, properties: {} } };

export const expected = {
  current: { amount_cents: 1362, taxes_amount_cents: 272, total_amount_cents: 1634 },
  estimate: { amount_cents: 10 },
  preview: { fees_amount_cents: 6362, coupons_amount_cents: 1000, taxes_amount_cents: 1072 },
};
