// Every route tariff-server serves, called once at least: each answer is checked against
// Lago's OpenAPI document by the harness (server/testing/openapi.mjs); the values Lago's
// serializers would give are asserted here, worked from Lago's code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, runCli, openapiStats, validator } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

let srv, db;
const api = (method, path, opts) => call(srv.base, method, path, opts);
const ok = async (method, path, body) => {
  const r = await api(method, path, { body });
  assert.equal(r.status, 200, `${method} ${path}: ${r.text}`);
  return r.body;
};

before(async () => {
  db = tempDb();
  // A hand-worked state without billing history: no billing job runs (the catalog's
  // subscription, started 2024-01-01, would otherwise be billed for January and February).
  srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--no-billing'] });
  await ok('PUT', '/api/v1/organizations', { organization: { name: 'Acme Billing', timezone: 'Europe/Paris' } });
  await ok('POST', '/api/v1/taxes', c.tax);
  for (const m of c.metrics) await ok('POST', '/api/v1/billable_metrics', m);
  await ok('POST', '/api/v1/plans', c.plan);
});
after(async () => {
  await srv?.stop();
  db?.remove();
});

test('catalog: read, list, update, delete', async () => {
  const org = (await ok('GET', '/api/v1/organizations')).organization;
  // Lago: prefix = first 3 letters of the name + "-" + last 4 of the id, upper case
  assert.equal(org.document_number_prefix, `ACM-${org.lago_id.slice(-4).toUpperCase()}`);
  assert.deepEqual(org.taxes.map((t) => t.code), ['vat20']);  // applied to the organization
  // the grace period a calculation reads is the one the organization was last given
  const graced = (await ok('PUT', '/api/v1/organizations', { organization: { billing_configuration: { invoice_grace_period: 3 } } })).organization;
  assert.equal(graced.billing_configuration.invoice_grace_period, 3);
  assert.equal(graced.document_number_prefix, org.document_number_prefix);  // kept, as Lago keeps it
  await ok('POST', '/api/v1/customers', { customer: { external_id: 'probe' } });
  assert.equal((await ok('GET', '/api/v1/customers/probe/snapshot')).organization.invoice_grace_period, 3);
  await ok('PUT', '/api/v1/organizations', { organization: { billing_configuration: { invoice_grace_period: 0 } } });
  assert.equal((await ok('GET', '/api/v1/customers/probe/snapshot')).organization.invoice_grace_period, 0);
  await ok('DELETE', '/api/v1/customers/probe');
  assert.equal((await ok('GET', '/api/v1/taxes/vat20')).tax.rate, 20);
  assert.equal((await ok('PUT', '/api/v1/taxes/vat20', { tax: { name: 'VAT' } })).tax.name, 'VAT');
  assert.equal((await ok('GET', '/api/v1/taxes')).taxes.length, 1);
  assert.equal((await ok('GET', '/api/v1/billable_metrics/storage')).billable_metric.field_name, 'gb');
  assert.equal((await ok('PUT', '/api/v1/billable_metrics/sms', { billable_metric: { description: 'Texts' } })).billable_metric.description, 'Texts');
  // Lago keeps a charge's properties for its model only, grouped_by as pricing_group_keys,
  // and answers both (ChargeModels::FilterProperties, ChargeSerializer#properties)
  const pack = (await ok('POST', '/api/v1/plans', { plan: { code: 'pack', name: 'Pack', interval: 'monthly', amount_cents: 0,
    amount_currency: 'USD', charges: [{ billable_metric_code: 'sms', charge_model: 'package',
      properties: { amount: '5', package_size: 100, free_units: 10, rate: '3', graduated_ranges: [], grouped_by: ['country', ''] } }] } })).plan;
  assert.deepEqual(pack.charges[0].properties, { amount: '5', package_size: 100, free_units: 10,
    pricing_group_keys: ['country'], grouped_by: ['country'] });
  assert.equal((await ok('DELETE', '/api/v1/plans/pack')).plan.code, 'pack');
  await ok('PUT', '/api/v1/plans/pro', { plan: { description: 'The pro plan' } });
  assert.equal((await ok('GET', '/api/v1/plans')).plans[0].description, 'The pro plan');
  // coupons: limited to a plan → limited_plans true, plan_codes as given (CouponSerializer)
  const coupon = (await ok('POST', '/api/v1/coupons', { coupon: { code: 'tenoff', name: 'Ten off', coupon_type: 'percentage',
    percentage_rate: 10, frequency: 'recurring', frequency_duration: 3, applies_to: { plan_codes: ['pro'] } } })).coupon;
  assert.deepEqual([coupon.limited_plans, coupon.plan_codes, coupon.limited_billable_metrics, coupon.percentage_rate],
    [true, ['pro'], false, '10.0']);
  await ok('POST', '/api/v1/coupons', c.coupon);
  assert.equal((await ok('GET', '/api/v1/coupons')).coupons.length, 2);
  assert.equal((await ok('GET', '/api/v1/coupons/welcome')).coupon.limited_plans, false);
  await ok('POST', '/api/v1/billable_metrics', { billable_metric: { code: 'gone', name: 'Gone', aggregation_type: 'max_agg', field_name: 'v' } });
  assert.equal((await ok('DELETE', '/api/v1/billable_metrics/gone')).billable_metric.code, 'gone');
  assert.equal((await api('GET', '/api/v1/billable_metrics/gone')).status, 404);
});

test('customers, applied coupons, wallets and their transactions', async () => {
  const acme = (await ok('POST', '/api/v1/customers', c.customer)).customer;
  const bob = (await ok('POST', '/api/v1/customers', { customer: { external_id: 'bob', name: 'Bob' } })).customer;
  const org = (await ok('GET', '/api/v1/organizations')).organization;
  // "probe" was number 1 and is deleted: Lago never reuses a sequential id
  assert.deepEqual([acme.sequential_id, bob.sequential_id], [2, 3]);
  assert.equal(bob.slug, `${org.document_number_prefix}-003`);
  // no zone of its own: the organization's (Customer#applicable_timezone)
  assert.deepEqual([acme.applicable_timezone, bob.timezone, bob.applicable_timezone], ['UTC', null, 'Europe/Paris']);
  assert.equal((await ok('GET', '/api/v1/customers')).customers.length, 2);
  assert.equal((await ok('GET', '/api/v1/customers/bob')).customer.slug, bob.slug);

  const percent = (await ok('POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: c.CUSTOMER, coupon_code: 'tenoff' } })).applied_coupon;
  // AppliedCouponSerializer: nothing remaining to count on a percentage or recurring coupon
  assert.deepEqual([percent.amount_cents_remaining, percent.percentage_rate, percent.frequency_duration_remaining], [null, '10.0', 3]);
  const fixed = (await ok('POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: c.CUSTOMER, coupon_code: 'welcome' } })).applied_coupon;
  assert.equal(fixed.amount_cents_remaining, 1000);
  const listed = (await ok('GET', `/api/v1/applied_coupons?external_customer_id=${c.CUSTOMER}`)).applied_coupons;
  assert.deepEqual(listed.map((a) => a.credits), [[], []]);  // the index includes credits
  assert.equal((await ok('GET', `/api/v1/customers/${c.CUSTOMER}/applied_coupons`)).applied_coupons.length, 2);
  const gone = (await ok('DELETE', `/api/v1/customers/${c.CUSTOMER}/applied_coupons/${percent.lago_id}`)).applied_coupon;
  assert.deepEqual([gone.status, gone.terminated_at], ['terminated', c.NOW]);

  const wallet = (await ok('POST', '/api/v1/wallets', { wallet: { external_customer_id: c.CUSTOMER, rate_amount: '1', currency: 'USD',
    granted_credits: '10', priority: 7 } })).wallet;
  assert.deepEqual(wallet.applies_to, { fee_types: [], billable_metric_codes: [] });
  assert.equal((await ok('PUT', `/api/v1/wallets/${wallet.lago_id}`, { wallet: { name: 'Main' } })).wallet.name, 'Main');
  assert.equal((await ok('GET', `/api/v1/wallets?external_customer_id=${c.CUSTOMER}`)).wallets.length, 1);
  const txs = (await ok('GET', `/api/v1/wallets/${wallet.lago_id}/wallet_transactions`)).wallet_transactions;
  // one granted transaction of 10 credits × 1.00; Lago's source for an API top-up is manual
  assert.deepEqual(txs.map((t) => [t.transaction_status, t.amount, t.source, t.priority]), [['granted', '10.0', 'manual', 7]]);
  const bobWallet = (await ok('POST', '/api/v1/wallets', { wallet: { external_customer_id: 'bob', rate_amount: '1', currency: 'USD' } })).wallet;
  assert.equal((await ok('DELETE', `/api/v1/wallets/${bobWallet.lago_id}`)).wallet.status, 'terminated');
  assert.equal((await ok('DELETE', '/api/v1/customers/bob')).customer.external_id, 'bob');
});

test('subscriptions, events and the calculations', async () => {
  await ok('POST', '/api/v1/subscriptions', c.subscription);
  // pending: starts 2024-04-10 in the customer's zone (UTC); its period is April's
  const later = (await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: c.CUSTOMER, plan_code: 'pro',
    external_id: 'sub-later', subscription_at: '2024-04-10T00:00:00Z', billing_time: 'anniversary' } })).subscription;
  assert.equal(later.status, 'pending');
  assert.equal(later.started_at, null);
  // Lago's DatesService has no charges boundaries before the subscription started
  assert.deepEqual([later.current_billing_period_started_at, later.current_billing_period_ending_at], [null, null]);
  assert.equal((await ok('PUT', '/api/v1/subscriptions/sub-later', { subscription: { name: 'Later' } })).subscription.name, 'Later');
  assert.equal((await ok('GET', `/api/v1/customers/${c.CUSTOMER}/subscriptions?status[]=pending`)).subscriptions.length, 1);
  assert.equal((await ok('DELETE', '/api/v1/subscriptions/sub-later?status=pending')).subscription.status, 'canceled');

  await ok('POST', '/api/v1/events/batch', { events: c.events });
  const ev = (await ok('POST', '/api/v1/events', { event: { transaction_id: 'paid', external_subscription_id: c.SUB, code: 'sms',
    precise_total_amount_cents: 12.5 } })).event;
  assert.equal(ev.precise_total_amount_cents, '12.5');  // Lago: the stored decimal as text
  assert.equal((await ok('GET', '/api/v1/events?per_page=3')).events.length, 3);
  assert.equal((await ok('GET', '/api/v1/events/ev-5')).event.properties.gb, 4);

  const usage = (await ok('GET', `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${c.SUB}`)).customer_usage;
  // catalog.mjs's 1362 + the "paid" sms event 1 × 0.10 = 1372; tax round(1372 × 20 %) = round(274.4) = 274
  assert.deepEqual([usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents], [1372, 274, 1646]);
  // the default bucket of api_calls (1 "us" event × 0.02): no filter, so no name and no values
  const calls = usage.charges_usage.find((u) => u.billable_metric.code === 'api_calls');
  assert.deepEqual(calls.filters.map((f) => [f.invoice_display_name, f.values, f.amount_cents]),
    [['EU', { region: ['eu'] }, 10], [null, null, 2]]);
  const projected = (await ok('GET', `/api/v1/customers/${c.CUSTOMER}/projected_usage?external_subscription_id=${c.SUB}`)).customer_projected_usage;
  assert.equal(projected.amount_cents, 1372);
  assert.ok(projected.charges_usage.every((u) => !('total_aggregated_units' in u)));
  const est = (await ok('POST', '/api/v1/events/estimate_fees', c.estimateBody)).fees[0];
  assert.deepEqual([est.amount_cents, est.external_subscription_id, est.external_customer_id, est.item.item_type],
    [c.expected.estimate.amount_cents, c.SUB, c.CUSTOMER, 'BillableMetric']);

  const inv = (await ok('POST', '/api/v1/invoices/preview', c.previewBody)).invoice;
  const sub = inv.fees.find((f) => f.item.type === 'subscription');
  // FeeSerializer: the subscription fee is for the subscription; Lago leaves its counts unset
  assert.deepEqual([sub.amount_cents, sub.events_count, sub.total_aggregated_units, sub.external_subscription_id],
    [5000, null, null, c.SUB]);
  assert.equal(inv.fees.find((f) => f.item.filter_invoice_display_name === 'EU').amount_cents, 10);
  // welcome coupon 1000 off, ten-off terminated above; 20 % tax on 6362 − 1000; 10 wallet credits
  assert.deepEqual([inv.fees_amount_cents, inv.coupons_amount_cents, inv.taxes_amount_cents, inv.prepaid_credit_amount_cents],
    [6362, 1000, 1072, 1000]);
});

test('previews of a new customer and of a plan change answer Lago\'s preview shapes', async () => {
  // a new customer in Paris on pro from now (2024-03-15 12:00 UTC), calendar, arrears: nothing
  // is billed before the period ends, so the preview proposes the first period's invoice
  const inv = (await ok('POST', '/api/v1/invoices/preview', { customer: { name: 'Prospect', currency: 'USD', timezone: 'Europe/Paris' },
    plan_code: 'pro', billing_time: 'calendar' })).invoice;
  // Lago: organization.customers.new(created_at: now), never saved; the request's fields assigned
  assert.deepEqual([inv.customer.lago_id, inv.customer.sequential_id, inv.customer.external_id, inv.customer.name,
    inv.customer.applicable_timezone, inv.customer.created_at], [null, null, null, 'Prospect', 'Europe/Paris', c.NOW]);
  // The engine's own preview (CLI, WASM) of the same new customer is a Lago invoice too, and
  // the same invoice apart from the customer and subscription the server serializes itself.
  const snap = (await ok('GET', `/api/v1/customers/${c.CUSTOMER}/snapshot`));
  const cli = runCli('preview', { ...snap, customer: null, subscriptions: [], applied_coupons: [], wallets: [], events: [],
    request: { customer: { name: 'Prospect', currency: 'USD', timezone: 'Europe/Paris' }, plan_code: 'pro', billing_time: 'calendar' } });
  assert.equal(cli.code, 0, cli.stdout);
  const cliInvoice = JSON.parse(cli.stdout).invoices[0];
  validator().check('POST', '/api/v1/invoices/preview', 200, { invoice: cliInvoice });
  const strip = ({ customer, subscriptions, ...rest }) => rest;
  assert.deepEqual(strip(inv), strip(cliInvoice));
  assert.deepEqual(inv.subscriptions.map(({ consolidate_invoice, purchase_order_number, cancellation_reason,
    activated_at, payment_method, activation_rules, ...x }) => x), cliInvoice.subscriptions);
  const [sub] = inv.subscriptions;
  assert.deepEqual([sub.lago_id, sub.plan_code, sub.plan_amount_cents, sub.started_at], [null, 'pro', 5000, '2024-03-15T12:00:00.000Z']);
  // charges from the start (12:00 UTC) to the end of March in Paris: 2024-03-31 23:59:59 +02:00
  assert.deepEqual([sub.current_billing_period_started_at, sub.current_billing_period_ending_at],
    [c.NOW, '2024-03-31T21:59:59Z']);

  // upgrade preview of sub-acme to a yearly plan: the built subscription is the new plan's
  await ok('POST', '/api/v1/plans', { plan: { code: 'max', name: 'Max', interval: 'yearly', amount_cents: 600000,
    amount_currency: 'USD', pay_in_advance: true, charges: [] } });
  const up = (await ok('POST', '/api/v1/invoices/preview', { customer: { external_id: c.CUSTOMER },
    subscriptions: { external_ids: [c.SUB], plan_code: 'max' } })).invoice;
  assert.deepEqual(up.subscriptions.map((s) => [s.external_id, s.external_customer_id]).sort(),
    up.subscriptions.map(() => [c.SUB, c.CUSTOMER]));
  assert.ok(up.subscriptions.some((s) => s.plan_code === 'max'));
});

test('errors keep Lago\'s documents', async () => {
  let r = await api('POST', '/api/v1/invoices/preview', { raw: '{' });
  assert.equal(r.status, 400);
  r = await api('GET', `/api/v1/customers/${c.CUSTOMER}/current_usage`);
  assert.deepEqual(r.body.error_details, { external_subscription_id: ['value_is_mandatory'] });
  r = await api('GET', '/api/v1/wallets');
  assert.equal(r.status, 422);
  r = await api('GET', '/api/v1/customers/ghost');
  assert.equal(r.body.code, 'customer_not_found');
  r = await api('GET', '/api/v1/customers/acme/snapshot');
  assert.equal(r.status, 200);
  // every answer above was checked against Lago's document
  assert.ok(openapiStats().validated >= 50, `${openapiStats().validated} responses validated`);
});
