// Refusal at the door: every object the engine would later refuse (or Lago's models refuse)
// is answered with Lago's 422 document when written, and nothing is stored; and the server's
// rules are the engine's (currency exponents, downgrade boundaries in the customer's zone).
// Codes: Lago's config/locales/en.yml (blank → value_is_mandatory, too_long →
// value_is_too_long, greater_than → value_is_out_of_range, inclusion → value_is_invalid),
// Events::CreateService (timestamp invalid_format), batch errors keyed by index.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, storedState } from '../../server/testing/harness.mjs';

let srv, db;
const api = (method, path, opts) => call(srv.base, method, path, opts);
const lago422 = (error_details) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details });
async function refused(path, body, details, method = 'POST') {
  const r = await api(method, path, { body });
  assert.equal(r.status, 422, `${path} ${r.text}`);
  assert.deepEqual(r.body, lago422(details), `${path} ${JSON.stringify(body).slice(0, 200)}`);
}
async function ok(path, body, method = 'POST') {
  const r = await api(method, path, { body });
  assert.equal(r.status, 200, `${path} ${r.text}`);
  return r.body;
}
const state = () => storedState(srv.base, ['/api/v1/billable_metrics', '/api/v1/coupons', '/api/v1/customers',
  '/api/v1/events?per_page=1000', '/api/v1/wallets?external_customer_id=c1',
  '/api/v1/subscriptions?status[]=active&status[]=pending&status[]=terminated']);

before(async () => {
  db = tempDb();
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-31T16:00:00Z'] });
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'gb', name: 'GB', aggregation_type: 'sum_agg', field_name: 'gb' } });
  await ok('/api/v1/customers', { customer: { external_id: 'c1', name: 'C1', currency: 'EUR' } });
  await ok('/api/v1/plans', { plan: { code: 'monthly', name: 'M', interval: 'monthly', amount_cents: 1000, amount_currency: 'EUR', charges: [] } });
  await ok('/api/v1/plans', { plan: { code: 'cheaper', name: 'C', interval: 'monthly', amount_cents: 500, amount_currency: 'EUR', charges: [] } });
});
after(async () => { await srv?.stop(); db?.remove(); });

test('a billable metric without a name: 422 value_is_mandatory', async () => {
  const s0 = await state();
  await refused('/api/v1/billable_metrics', { billable_metric: { code: 'calls', aggregation_type: 'count_agg' } }, { name: ['value_is_mandatory'] });
  await refused('/api/v1/billable_metrics', { billable_metric: { code: 'calls', name: '  ', aggregation_type: 'count_agg' } }, { name: ['value_is_mandatory'] });
  await refused('/api/v1/billable_metrics/gb', { billable_metric: { name: null } }, { name: ['value_is_mandatory'] }, 'PUT');
  assert.equal(await state(), s0);
});

test('plans and taxes need a name (Lago\'s models); the organization\'s zone and currency are the engine\'s', async () => {
  const s0 = await state();
  await refused('/api/v1/plans', { plan: { code: 'nameless', interval: 'monthly', amount_cents: 100, amount_currency: 'EUR', charges: [] } }, { name: ['value_is_mandatory'] });
  await refused('/api/v1/plans', { plan: { code: 'nameless', name: 'N', interval: 'monthly', amount_currency: 'EUR', charges: [] } }, { amount_cents: ['value_is_mandatory'] });
  await refused('/api/v1/taxes', { tax: { code: 'vat', rate: '20' } }, { name: ['value_is_mandatory'] });
  await refused('/api/v1/taxes', { tax: { code: 'vat', name: 'VAT', rate: 'twenty' } }, { rate: ['value_is_invalid'] });
  await refused('/api/v1/organizations', { organization: { timezone: 'Mars/Olympus', default_currency: 'XXX' } },
    { timezone: ['invalid_timezone'], default_currency: ['value_is_invalid'] }, 'PUT');
  await refused('/api/v1/organizations', { organization: { billing_configuration: { invoice_footer: 'f'.repeat(601), invoice_grace_period: -2 } } },
    { 'billing_configuration.invoice_footer': ['value_is_too_long'], 'billing_configuration.invoice_grace_period': ['value_is_out_of_range'] }, 'PUT');
  assert.equal((await api('GET', '/api/v1/taxes/vat')).status, 404);
  assert.equal((await api('GET', '/api/v1/organizations')).body.organization.timezone, 'UTC');
  assert.equal(await state(), s0);
});

test('events the engine would refuse later: 422, single and batch, nothing stored', async () => {
  const s0 = await state();
  const ev = (extra) => ({ transaction_id: 'e1', external_subscription_id: 's1', code: 'gb', timestamp: 1711900800, ...extra });
  // 180000000000000000000 (1.8e20) is beyond Decimal's ±1.7e20: every sum of the period would fail
  await refused('/api/v1/events', { event: ev({ properties: { gb: '180000000000000000000' } }) }, { 'properties.gb': ['value_is_invalid'] });
  await refused('/api/v1/events', { event: ev({ properties: { gb: 180000000000000000000 } }) }, { 'properties.gb': ['value_is_invalid'] });
  await refused('/api/v1/events', { event: ev({ precise_total_amount_cents: 'abc' }) }, { precise_total_amount_cents: ['value_is_invalid'] });
  for (const timestamp of [-1, '1969-12-31T23:59:59Z', 'yesterday', 253402300800])
    await refused('/api/v1/events', { event: ev({ timestamp }) }, { timestamp: ['invalid_format'] });
  // Batch: Lago's shape, errors by index; the valid ones are not stored either
  await refused('/api/v1/events/batch', { events: [
    ev({ transaction_id: 'b0', properties: { gb: '1.5' } }),
    ev({ transaction_id: 'b1', properties: { gb: '-180000000000000000000' } }),
    ev({ transaction_id: 'b2', timestamp: -5 }),
    ev({ transaction_id: 'b3', precise_total_amount_cents: '12x' }),
  ] }, { 1: { 'properties.gb': ['value_is_invalid'] }, 2: { timestamp: ['invalid_format'] }, 3: { precise_total_amount_cents: ['value_is_invalid'] } });
  assert.equal(await state(), s0);
  // a metric with an expression that cannot evaluate on the event (5 / 0): refused as Lago
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'ratio', name: 'Ratio', aggregation_type: 'sum_agg', field_name: 'r',
    expression: 'event.properties.a / event.properties.b' } });
  await refused('/api/v1/events', { event: ev({ transaction_id: 'x1', code: 'ratio', properties: { a: 5, b: '0' } }) }, { expression: ['expression_evaluation_failed'] });
  await ok('/api/v1/events', { event: ev({ transaction_id: 'x2', code: 'ratio', properties: { a: 5, b: '2' } }) });
  // within range, and a huge value in a property no metric aggregates: accepted
  await ok('/api/v1/events', { event: ev({ properties: { gb: '170000000000000000000', id: '180000000000000000000' } }) });
});

test('customers: Lago\'s name and metadata limits, the engine\'s currency and zone', async () => {
  const s0 = await state();
  await refused('/api/v1/customers', { customer: { external_id: 'c2', name: 'x'.repeat(256) } }, { name: ['value_is_too_long'] });
  await refused('/api/v1/customers', { customer: { external_id: 'c2', name: 'x'.repeat(500000) } }, { name: ['value_is_too_long'] });
  await refused('/api/v1/customers', { customer: { external_id: 'c2', currency: 'XXX', timezone: 'Mars/Olympus' } },
    { currency: ['value_is_invalid'], timezone: ['invalid_timezone'] });
  await refused('/api/v1/customers', { customer: { external_id: 'c2', metadata: [{ key: 'k'.repeat(21), value: 'v'.repeat(101) }] } },
    { key: ['value_is_too_long'], value: ['value_is_too_long'] });
  await refused('/api/v1/customers', { customer: { external_id: 'c2', metadata: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: 'v' })) } },
    { metadata: ['invalid_count'] });
  await refused('/api/v1/customers', { customer: { external_id: 'c1', invoice_grace_period: -1, net_payment_term: -30 } },
    { invoice_grace_period: ['value_is_out_of_range'], net_payment_term: ['value_is_out_of_range'] });
  // 5 MB: the whole request is over the 1 MiB body limit: 413 before any parsing
  const r = await api('POST', '/api/v1/customers', { body: { customer: { external_id: 'c2', name: 'x'.repeat(5 * 1024 * 1024) } } });
  assert.equal(r.status, 413);
  assert.deepEqual(r.body, { status: 413, error: 'Payload Too Large', code: 'payload_too_large' });
  assert.equal(await state(), s0);
  // 255 characters (two bytes each) are fine
  assert.equal((await ok('/api/v1/customers', { customer: { external_id: 'c3', name: 'é'.repeat(255) } })).customer.name.length, 255);
});

test('coupons: positive amounts, a currency, a numeric percentage rate', async () => {
  const s0 = await state();
  const fixed = { code: 'k', name: 'K', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'EUR' };
  await refused('/api/v1/coupons', { coupon: { ...fixed, amount_cents: -100 } }, { amount_cents: ['value_is_out_of_range'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, amount_cents: 0 } }, { amount_cents: ['value_is_out_of_range'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, amount_currency: 'XXX' } }, { amount_currency: ['value_is_invalid'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, amount_currency: null } }, { amount_currency: ['value_is_mandatory'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, name: undefined } }, { name: ['value_is_mandatory'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, frequency: 'recurring' } }, { frequency_duration: ['value_is_mandatory'] });
  await refused('/api/v1/coupons', { coupon: { ...fixed, coupon_type: 'gift' } }, { coupon_type: ['value_is_invalid'] });
  await refused('/api/v1/coupons', { coupon: { code: 'p', name: 'P', coupon_type: 'percentage', percentage_rate: 'ten' } }, { percentage_rate: ['value_is_invalid'] });
  await refused('/api/v1/coupons', { coupon: { code: 'p', name: 'P', coupon_type: 'percentage' } }, { percentage_rate: ['value_is_mandatory'] });
  assert.equal(await state(), s0);
  await ok('/api/v1/coupons', { coupon: fixed });
  // a customer's override is a coupon too
  await refused('/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'c1', coupon_code: 'k', amount_cents: -5 } }, { amount_cents: ['value_is_out_of_range'] });
});

test('wallets: rate > 0, a currency, priority 1..50; credits as Lago refuses them', async () => {
  const s0 = await state();
  const w = { external_customer_id: 'c1', currency: 'EUR', rate_amount: '1' };
  for (const rate_amount of ['0', '-1', 0]) await refused('/api/v1/wallets', { wallet: { ...w, rate_amount } }, { rate_amount: ['value_is_out_of_range'] });
  await refused('/api/v1/wallets', { wallet: { ...w, rate_amount: 'abc' } }, { rate_amount: ['value_is_invalid'] });
  await refused('/api/v1/wallets', { wallet: { ...w, currency: 'XXX' } }, { currency: ['value_is_invalid'] });
  await refused('/api/v1/wallets', { wallet: { ...w, priority: 51 } }, { priority: ['value_is_invalid'] });
  await refused('/api/v1/wallets', { wallet: { ...w, paid_credits: 'lots' } }, { paid_credits: ['invalid_paid_credits', 'invalid_amount'] });
  assert.equal(await state(), s0);
});

test('wallet balances use the engine\'s currency exponents (HUF 0 decimals, KWD 3); IQD is not Lago\'s', async () => {
  // 10 credits × 2 HUF = 20 HUF; HUF has no minor unit → balance_cents 20 (not 2000)
  let wallet = (await ok('/api/v1/wallets', { wallet: { external_customer_id: 'c1', currency: 'HUF', rate_amount: '2', granted_credits: '10' } })).wallet;
  assert.equal(wallet.balance_cents, 20);
  // 2 credits × 1.5 KWD = 3 KWD; KWD has 3 decimals → 3000
  wallet = (await ok('/api/v1/wallets', { wallet: { external_customer_id: 'c1', currency: 'KWD', rate_amount: '1.5', granted_credits: '2' } })).wallet;
  assert.equal(wallet.balance_cents, 3000);
  // IQD is not among Lago's accepted currencies (its Currencies concern)
  await refused('/api/v1/wallets', { wallet: { external_customer_id: 'c1', currency: 'IQD', rate_amount: '1', granted_credits: '2' } },
    { currency: ['value_is_invalid'] });
});

test('subscriptions are read by the engine before they are stored', async () => {
  const s0 = await state();
  const sub = { external_customer_id: 'c1', plan_code: 'monthly', external_id: 'bad' };
  await refused('/api/v1/subscriptions', { subscription: { ...sub, billing_time: 'weekly' } }, { billing_time: ['value_is_invalid'] });
  await refused('/api/v1/subscriptions', { subscription: { ...sub, ending_at: 'never' } }, { ending_at: ['invalid_date'] });
  // Lago's valid_ending_at?: after today (now is 2024-03-31) and after the subscription_at day;
  // a termination before the start would leave a terminated_at the engine refuses to read.
  await refused('/api/v1/subscriptions', { subscription: { ...sub, subscription_at: '2024-05-01T00:00:00Z', ending_at: '2024-04-15T00:00:00Z' } }, { ending_at: ['invalid_date'] });
  await refused('/api/v1/subscriptions', { subscription: { ...sub, subscription_at: '2024-05-01T00:00:00Z', ending_at: '2024-05-01T12:00:00Z' } }, { ending_at: ['invalid_date'] });
  await refused('/api/v1/subscriptions', { subscription: { ...sub, ending_at: '2024-03-31T23:00:00Z' } }, { ending_at: ['invalid_date'] });
  await refused('/api/v1/subscriptions', { subscription: { ...sub, subscription_at: '1969-07-20T20:17:00Z' } }, { subscription_at: ['invalid_date'] });
  await refused('/api/v1/subscriptions', { subscription: { ...sub, plan_overrides: { amount_cents: 'lots' } } }, { 'plan_overrides.amount_cents': ['value_is_invalid'] });
  assert.equal(await state(), s0);
});

test('a downgrade takes effect at the next period in the customer\'s zone', async () => {
  // now 2024-03-31T16:00Z = 2024-04-01 01:00 in Tokyo: the current calendar month there is
  // April, so the downgrade (500 < 1000 a month) is dated 2024-05-01 (in UTC it would be 04-01)
  await ok('/api/v1/customers', { customer: { external_id: 'tokyo', timezone: 'Asia/Tokyo', currency: 'EUR' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'tokyo', plan_code: 'monthly', external_id: 'st', subscription_at: '2024-01-10T00:00:00Z' } });
  const next = (await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'tokyo', plan_code: 'cheaper', external_id: 'st' } })).subscription;
  assert.equal(next.status, 'pending');
  const cur = (await ok('/api/v1/subscriptions/st', undefined, 'GET')).subscription;
  assert.equal(cur.plan_code, 'monthly');
  assert.equal(cur.downgrade_plan_date, '2024-05-01');
  // a plan in another currency is refused as the engine's preview refuses it
  await ok('/api/v1/plans', { plan: { code: 'usd', name: 'U', interval: 'monthly', amount_cents: 100, amount_currency: 'USD', charges: [] } });
  await refused('/api/v1/subscriptions', { subscription: { external_customer_id: 'tokyo', plan_code: 'usd', external_id: 'st' } }, { currency: ['currencies_does_not_match'] });
});

test('a recurring flag given as the string "true" (which the engine reads) does not break usage', async () => {
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'seats', name: 'Seats', aggregation_type: 'sum_agg', field_name: 'n', recurring: 'true' } });
  await ok('/api/v1/plans', { plan: { code: 'seats', name: 'Seats', interval: 'monthly', amount_cents: 0, amount_currency: 'EUR',
    charges: [{ billable_metric_code: 'seats', charge_model: 'standard', properties: { amount: '2' } }] } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'c1', plan_code: 'seats', external_id: 'seats1', subscription_at: '2024-03-01T00:00:00Z' } });
  await ok('/api/v1/events', { event: { transaction_id: 'seat-a', external_subscription_id: 'seats1', code: 'seats', timestamp: '2024-03-05T00:00:00Z', properties: { n: 3 } } });
  await ok('/api/v1/events', { event: { transaction_id: 'seat-b', external_subscription_id: 'seats1', code: 'seats', timestamp: '2024-03-20T00:00:00Z', properties: { n: 2 } } });
  const r = await api('GET', '/api/v1/customers/c1/current_usage?external_subscription_id=seats1');
  assert.equal(r.status, 200, r.text);  // was a 500: the server read "true" as a bool
  // 3 + 2 = 5 seats × 2.00 EUR = 10.00 EUR
  assert.equal(r.body.customer_usage.amount_cents, 1000, r.text);
});

test('deleting a metric, a tax or a coupon leaves every calculation possible (as Lago\'s Destroy services)', async () => {
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'api', name: 'API', aggregation_type: 'count_agg' } });
  await ok('/api/v1/taxes', { tax: { code: 'vat10', name: 'VAT 10', rate: '10' } });
  const plan = (await ok('/api/v1/plans', { plan: { code: 'mixed', name: 'Mixed', interval: 'monthly', amount_cents: 1000, amount_currency: 'EUR', tax_codes: ['vat10'],
    charges: [{ billable_metric_code: 'api', charge_model: 'standard', properties: { amount: '1' } },
      { billable_metric_code: 'gb', charge_model: 'standard', properties: { amount: '3' }, tax_codes: ['vat10'] }] } })).plan;
  await ok('/api/v1/customers', { customer: { external_id: 'del', currency: 'EUR', tax_codes: ['vat10'] } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'del', plan_code: 'mixed', external_id: 'sdel', subscription_at: '2024-03-01T00:00:00Z',
    plan_overrides: { charges: [{ id: plan.charges[0].lago_id, properties: { amount: '2' } }] } } });
  await ok('/api/v1/events', { event: { transaction_id: 'd1', external_subscription_id: 'sdel', code: 'gb', timestamp: '2024-03-10T00:00:00Z', properties: { gb: 4 } } });
  await ok('/api/v1/coupons', { coupon: { code: 'off', name: 'Off', coupon_type: 'fixed_amount', amount_cents: 100, amount_currency: 'EUR' } });
  const applied = (await ok('/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'del', coupon_code: 'off' } })).applied_coupon;

  assert.equal((await api('DELETE', '/api/v1/billable_metrics/api')).status, 200);
  assert.equal((await api('DELETE', '/api/v1/taxes/vat10')).status, 200);
  assert.equal((await api('DELETE', '/api/v1/coupons/off')).status, 200);

  const after = (await ok('/api/v1/plans/mixed', undefined, 'GET')).plan;
  assert.deepEqual(after.charges.map((c) => c.billable_metric_code), ['gb']);
  assert.deepEqual(after.taxes, []);
  assert.deepEqual(after.charges[0].taxes, []);
  assert.deepEqual((await ok('/api/v1/customers/del', undefined, 'GET')).customer.taxes, []);
  // the stored state (Lago's subscription object does not show plan overrides)
  const stored = (await ok('/api/v1/customers/del/snapshot', undefined, 'GET'));
  assert.deepEqual(stored.subscriptions[0].plan_overrides.charges, []);
  const coupons = (await ok('/api/v1/applied_coupons?external_customer_id=del', undefined, 'GET')).applied_coupons;
  assert.deepEqual(coupons.map((a) => [a.lago_id, a.status]), [[applied.lago_id, 'terminated']]);
  // usage: 4 GB × 3.00 EUR = 12.00 EUR, no tax left (was: 422 billable_metric_not_found)
  const r = await api('GET', '/api/v1/customers/del/current_usage?external_subscription_id=sdel');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.customer_usage.amount_cents, 1200, r.text);
  assert.equal(r.body.customer_usage.taxes_amount_cents, 0, r.text);
});

test('updates keep what is in use, as Lago\'s update services; a renamed tax follows everywhere', async () => {
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'mins', name: 'Minutes', aggregation_type: 'sum_agg', field_name: 'm' } });
  await ok('/api/v1/taxes', { tax: { code: 'gst', name: 'GST', rate: '5' } });
  const plan = (await ok('/api/v1/plans', { plan: { code: 'calls', name: 'Calls', interval: 'monthly', amount_cents: 500, amount_currency: 'EUR', tax_codes: ['gst'],
    charges: [{ billable_metric_code: 'mins', charge_model: 'standard', properties: { amount: '1' } }] } })).plan;
  await ok('/api/v1/customers', { customer: { external_id: 'upd', currency: 'EUR' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'upd', plan_code: 'calls', external_id: 'supd', subscription_at: '2024-03-01T00:00:00Z',
    plan_overrides: { charges: [{ id: plan.charges[0].lago_id, properties: { amount: '2' } }] } } });
  await ok('/api/v1/coupons', { coupon: { code: 'ten', name: 'Ten', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'EUR' } });
  await ok('/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'upd', coupon_code: 'ten' } });

  // metric on a plan: only its name changes (Lago: name, description, filters)
  let m = (await ok('/api/v1/billable_metrics/mins', { billable_metric: { name: 'Call minutes', aggregation_type: 'count_agg', code: 'minutes' } }, 'PUT')).billable_metric;
  assert.deepEqual([m.code, m.name, m.aggregation_type], ['mins', 'Call minutes', 'sum_agg']);
  // plan with a subscription: name and amount change, code / interval / currency stay
  let p = (await ok('/api/v1/plans/calls', { plan: { name: 'Calls+', amount_cents: 700, code: 'calls2', interval: 'yearly', amount_currency: 'USD' } }, 'PUT')).plan;
  assert.deepEqual([p.code, p.name, p.amount_cents, p.interval, p.amount_currency], ['calls', 'Calls+', 700, 'monthly', 'EUR']);
  // applied coupon: the amount stays, the name changes
  const k = (await ok('/api/v1/coupons/ten', { coupon: { name: 'Tenner', amount_cents: 5 } }, 'PUT')).coupon;
  assert.deepEqual([k.name, k.amount_cents], ['Tenner', 1000]);
  // a plan update that removes the charge a subscription overrides is refused, nothing changes
  await refused('/api/v1/plans/calls', { plan: { charges: [] } }, { 'plan_overrides.charges[0].id': ['charge_not_found'] }, 'PUT');
  assert.equal((await ok('/api/v1/plans/calls', undefined, 'GET')).plan.charges.length, 1);
  // ... while naming the kept charge by its Lago `id` keeps it (and its override)
  p = (await ok('/api/v1/plans/calls', { plan: { charges: [{ id: plan.charges[0].lago_id, billable_metric_code: 'mins', charge_model: 'standard', properties: { amount: '1.5' } }] } }, 'PUT')).plan;
  assert.equal(p.charges[0].lago_id, plan.charges[0].lago_id);
  // a renamed tax: every reference follows
  await ok('/api/v1/taxes/gst', { tax: { code: 'gst5' } }, 'PUT');
  assert.deepEqual((await ok('/api/v1/plans/calls', undefined, 'GET')).plan.taxes.map((t) => t.code), ['gst5']);
  const r = await api('GET', '/api/v1/customers/upd/current_usage?external_subscription_id=supd');
  assert.equal(r.status, 200, r.text);
});

test('deleting a plan terminates its subscriptions, as Lago; their customer stays calculable', async () => {
  await ok('/api/v1/plans', { plan: { code: 'gone', name: 'Gone', interval: 'monthly', amount_cents: 3100, amount_currency: 'EUR', charges: [] } });
  await ok('/api/v1/customers', { customer: { external_id: 'pdel', currency: 'EUR' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'pdel', plan_code: 'gone', external_id: 'sg', subscription_at: '2024-03-01T00:00:00Z' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'pdel', plan_code: 'monthly', external_id: 'sm', subscription_at: '2024-03-01T00:00:00Z' } });
  // a downgrade of sm to the plan about to go: called off with it
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'pdel', plan_code: 'cheaper', external_id: 'sm' } });
  assert.equal((await api('DELETE', '/api/v1/plans/cheaper')).status, 200);
  assert.equal((await api('DELETE', '/api/v1/plans/gone')).status, 200);
  const subs = (await ok('/api/v1/subscriptions?external_customer_id=pdel&status[]=active&status[]=pending&status[]=terminated&status[]=canceled', undefined, 'GET')).subscriptions;
  assert.deepEqual(subs.map((s) => `${s.external_id}:${s.plan_code}:${s.status}`).sort(),
    ['sg:gone:terminated', 'sm:cheaper:canceled', 'sm:monthly:active']);
  assert.equal(subs.find((s) => s.plan_code === 'monthly').downgrade_plan_date, null);
  // usage of the remaining subscription: the customer's snapshot still reads (was: 422 plan_not_found)
  const r = await api('GET', '/api/v1/customers/pdel/current_usage?external_subscription_id=sm');
  assert.equal(r.status, 200, r.text);
  // a new plan may take the deleted code
  await ok('/api/v1/plans', { plan: { code: 'gone', name: 'Gone again', interval: 'monthly', amount_cents: 100, amount_currency: 'EUR', charges: [] } });
});

test('terminating a subscription cancels its scheduled downgrade; canceling the downgrade keeps the plan', async () => {
  await ok('/api/v1/customers', { customer: { external_id: 'dg', currency: 'EUR' } });
  await ok('/api/v1/plans', { plan: { code: 'small', name: 'Small', interval: 'monthly', amount_cents: 100, amount_currency: 'EUR', charges: [] } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'dg', plan_code: 'monthly', external_id: 'dg1', subscription_at: '2024-03-01T00:00:00Z' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'dg', plan_code: 'small', external_id: 'dg1' } });
  assert.equal((await api('DELETE', '/api/v1/subscriptions/dg1?status=pending')).status, 200);
  let cur = (await ok('/api/v1/subscriptions/dg1', undefined, 'GET')).subscription;
  assert.deepEqual([cur.plan_code, cur.status, cur.downgrade_plan_date, cur.next_plan_code], ['monthly', 'active', null, null]);
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'dg', plan_code: 'small', external_id: 'dg1' } });
  assert.equal((await api('DELETE', '/api/v1/subscriptions/dg1')).status, 200);
  const subs = (await ok('/api/v1/subscriptions?external_customer_id=dg&status[]=active&status[]=pending&status[]=terminated&status[]=canceled', undefined, 'GET')).subscriptions;
  assert.deepEqual(subs.map((s) => `${s.plan_code}:${s.status}`), ['monthly:terminated', 'small:canceled', 'small:canceled']);
});

test('a metric\'s filters may change while on a plan: charge filters are trimmed as Lago trims them', async () => {
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'req', name: 'Requests', aggregation_type: 'count_agg',
    filters: [{ key: 'region', values: ['eu', 'us', 'asia'] }, { key: 'tier', values: ['gold'] }] } });
  await ok('/api/v1/plans', { plan: { code: 'reqs', name: 'Reqs', interval: 'monthly', amount_cents: 0, amount_currency: 'EUR',
    charges: [{ billable_metric_code: 'req', charge_model: 'standard', properties: { amount: '0' }, filters: [
      { values: { region: ['eu', 'us'] }, properties: { amount: '1' } },
      { values: { region: ['asia'] }, properties: { amount: '2' } },
      { values: { tier: ['gold'], region: ['__ALL_FILTER_VALUES__'] }, properties: { amount: '3' } }] }] } });
  // drop region "asia" and the tier filter
  await ok('/api/v1/billable_metrics/req', { billable_metric: { filters: [{ key: 'region', values: ['eu', 'us'] }] } }, 'PUT');
  const filters = (await ok('/api/v1/plans/reqs', undefined, 'GET')).plan.charges[0].filters;
  // eu/us untouched; asia-only filter emptied → gone; tier key gone, region ALL kept
  assert.deepEqual(filters.map((f) => f.values), [{ region: ['eu', 'us'] }, { region: ['__ALL_FILTER_VALUES__'] }]);
  await ok('/api/v1/customers', { customer: { external_id: 'flt', currency: 'EUR' } });
  await ok('/api/v1/subscriptions', { subscription: { external_customer_id: 'flt', plan_code: 'reqs', external_id: 'sflt', subscription_at: '2024-03-01T00:00:00Z' } });
  const r = await api('GET', '/api/v1/customers/flt/current_usage?external_subscription_id=sflt');
  assert.equal(r.status, 200, r.text);  // was: 422 invalid_filters for every calculation on the plan
});
