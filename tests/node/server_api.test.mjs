// tariff-server integration: the full Lago catalog set up over HTTP, events, the four
// calculations, and each calculation equal to the CLI on the server's own snapshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, runCli } from '../../server/testing/harness.mjs';
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
  // The state these calculations are worked on by hand has no billing history: no job runs
  // (a subscription started 2024-01-01 would otherwise be billed for January and February,
  // using up the coupon and the wallet before the calculations read them).
  srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--no-billing'] });
});
after(async () => { await srv?.stop(); db?.remove(); });

test('health answers without a key', async () => {
  const r = await call(srv.base, 'GET', '/health', { key: null });
  assert.equal(r.status, 200);
  assert.equal(r.body.message, 'Success');
});

test('catalog, customer, subscription, coupon, wallet over HTTP', async () => {
  await ok('PUT', '/api/v1/organizations', c.organization);
  const tax = await ok('POST', '/api/v1/taxes', c.tax);
  assert.equal(tax.tax.code, 'vat20');
  assert.match(tax.tax.lago_id, /^[0-9a-f-]{36}$/);
  assert.equal(tax.tax.created_at, c.NOW);
  const ids = {};
  for (const m of c.metrics) ids[m.billable_metric.code] = (await ok('POST', '/api/v1/billable_metrics', m)).billable_metric.lago_id;

  // Lago's API names a charge's metric by id: resolve it and keep the code beside it.
  const planIn = structuredClone(c.plan);
  planIn.plan.charges[1] = { ...planIn.plan.charges[1], billable_metric_id: ids.storage };
  delete planIn.plan.charges[1].billable_metric_code;
  const plan = (await ok('POST', '/api/v1/plans', planIn)).plan;
  assert.equal(plan.charges.length, 3);
  assert.equal(plan.charges[1].billable_metric_code, 'storage');
  assert.equal(plan.charges[0].lago_billable_metric_id, ids.api_calls);
  assert.deepEqual(plan.charges[0].filters, c.plan.plan.charges[0].filters);
  // Lago's CommitmentSerializer / UsageThresholdSerializer: the input plus id, plan, interval, times
  const { lago_id: mcId, ...mc } = plan.minimum_commitment;
  assert.match(mcId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(mc, { ...c.plan.plan.minimum_commitment, plan_code: 'pro', interval: 'monthly',
    created_at: c.NOW, updated_at: c.NOW, taxes: [] });
  assert.deepEqual(plan.usage_thresholds.map(({ lago_id, ...t }) => t),
    c.plan.plan.usage_thresholds.map((t) => ({ ...t, created_at: c.NOW, updated_at: c.NOW })));
  // Lago's ChargeSerializer defaults: invoiceable, not prorated, no minimum, created with the plan
  assert.deepEqual([plan.charges[0].invoiceable, plan.charges[0].pay_in_advance, plan.charges[0].prorated,
    plan.charges[0].min_amount_cents, plan.charges[0].regroup_paid_fees, plan.charges[0].created_at],
  [true, false, false, 0, null, c.NOW]);
  assert.equal(plan.charges[2].pay_in_advance, true);
  assert.deepEqual((await ok('GET', '/api/v1/plans/pro')).plan, plan);

  await ok('POST', '/api/v1/coupons', c.coupon);
  const cust = (await ok('POST', '/api/v1/customers', c.customer)).customer;
  assert.equal(cust.external_id, c.CUSTOMER);
  // Lago: the organization's first customer is number 1, slug "<document prefix>-001"
  const org = (await ok('PUT', '/api/v1/organizations', c.organization)).organization;
  assert.equal(cust.sequential_id, 1);
  assert.equal(cust.slug, `${org.document_number_prefix}-001`);
  assert.match(org.document_number_prefix, /^TAR-[0-9A-F]{4}$/);  // name "tariff": "TAR-" + id's last 4
  assert.equal(cust.applicable_timezone, 'UTC');
  // POST on an existing external_id updates (Lago's upsert); lago_id is kept.
  const again = (await ok('POST', '/api/v1/customers', { customer: { external_id: c.CUSTOMER, name: 'Acme Inc' } })).customer;
  assert.equal(again.lago_id, cust.lago_id);
  assert.equal(again.name, 'Acme Inc');

  const sub = (await ok('POST', '/api/v1/subscriptions', c.subscription)).subscription;
  assert.equal(sub.status, 'active');
  assert.equal(sub.started_at, '2024-01-01T00:00:00.000Z');  // Lago: started_at.iso8601(3)
  assert.equal(sub.plan_code, 'pro');
  // calendar monthly in UTC at 2024-03-15: March 1st 00:00 to March 31st 23:59:59
  assert.equal(sub.current_billing_period_started_at, '2024-03-01T00:00:00Z');
  assert.equal(sub.current_billing_period_ending_at, '2024-03-31T23:59:59Z');
  assert.equal(sub.on_termination_invoice, 'generate');
  assert.equal(sub.on_termination_credit_note, null);

  const applied = (await ok('POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: c.CUSTOMER, coupon_code: 'welcome' } })).applied_coupon;
  assert.equal(applied.amount_cents, 1000);
  assert.equal(applied.amount_cents_remaining, 1000);
  assert.equal(applied.status, 'active');

  // 10 paid + 5 granted credits at 2.5 = 15 × 2.5 = 37.50 USD = 3750 cents
  const wallet = (await ok('POST', '/api/v1/wallets', { wallet: { external_customer_id: c.CUSTOMER, rate_amount: '2.5', currency: 'USD', paid_credits: '10', granted_credits: '5' } })).wallet;
  assert.equal(wallet.credits_balance, '15.0');
  assert.equal(wallet.balance_cents, 3750);
  // void 1 credit: 14 × 2.5 = 3500 cents
  const txs = (await ok('POST', '/api/v1/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, voided_credits: '1' } })).wallet_transactions;
  assert.equal(txs.length, 1);
  assert.equal(txs[0].transaction_type, 'outbound');
  assert.equal(txs[0].amount, '2.5');
  const w2 = (await ok('GET', `/api/v1/wallets/${wallet.lago_id}`)).wallet;
  assert.equal(w2.balance_cents, 3500);
  assert.equal((await ok('GET', `/api/v1/wallets/${wallet.lago_id}/wallet_transactions`)).wallet_transactions.length, 3);
});

test('pagination meta as Lago', async () => {
  const r = await ok('GET', '/api/v1/billable_metrics?per_page=2&page=1');
  assert.deepEqual(r.billable_metrics.map((m) => m.code), ['api_calls', 'storage']);
  assert.deepEqual(r.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 3 });
  const p2 = await ok('GET', '/api/v1/billable_metrics?per_page=2&page=2');
  assert.deepEqual(p2.billable_metrics.map((m) => m.code), ['sms']);
  assert.deepEqual(p2.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
});

test('events: single, batch, duplicate refused, lookups', async () => {
  const one = await ok('POST', '/api/v1/events', { event: c.events[0] });
  assert.equal(one.event.timestamp, '2024-03-02T10:00:00.000Z');
  const batch = await ok('POST', '/api/v1/events/batch', { events: c.events.slice(1) });
  assert.equal(batch.events.length, c.events.length - 1);
  assert.equal(batch.events[1].timestamp, '2024-03-12T10:00:00.000Z');  // "1710237600"
  const dup = await api('POST', '/api/v1/events', { body: { event: c.events[0] } });
  assert.equal(dup.status, 422);
  assert.deepEqual(dup.body.error_details, { transaction_id: ['value_already_exist'] });
  // Same transaction id on another subscription is a different event.
  const other = await ok('POST', '/api/v1/events', { event: { ...c.events[0], external_subscription_id: 'elsewhere' } });
  assert.equal(other.event.external_subscription_id, 'elsewhere');
  const listed = await ok('GET', `/api/v1/events?external_subscription_id=${c.SUB}&per_page=100`);
  assert.equal(listed.meta.total_count, 6);
  assert.equal((await ok('GET', '/api/v1/events/ev-5')).event.properties.gb, 4);
});

test('current_usage: hand-computed totals, equal to the CLI on the server snapshot', async () => {
  const q = `?external_subscription_id=${c.SUB}`;
  const r = await api('GET', `/api/v1/customers/${c.CUSTOMER}/current_usage${q}`);
  assert.equal(r.status, 200, r.text);
  const u = r.body.customer_usage;
  assert.equal(u.amount_cents, c.expected.current.amount_cents);
  assert.equal(u.taxes_amount_cents, c.expected.current.taxes_amount_cents);
  assert.equal(u.total_amount_cents, c.expected.current.total_amount_cents);
  const snap = await ok('GET', `/api/v1/customers/${c.CUSTOMER}/snapshot${q}`);
  assert.equal(snap.now, c.NOW);
  assert.equal(snap.customer.external_id, c.CUSTOMER);
  assert.deepEqual(snap.request, { external_subscription_id: c.SUB });
  // The snapshot holds this subscription's events in the window (ev-1..ev-6), no one else's.
  assert.deepEqual(snap.events.map((e) => e.transaction_id).sort(), ['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5', 'ev-6']);
  const cli = runCli('current_usage', snap);
  assert.equal(cli.code, 0);
  assert.equal(r.text, cli.stdout);
});

test('projected_usage and estimate_fees equal the CLI on the server snapshot', async () => {
  const q = `?external_subscription_id=${c.SUB}`;
  const snap = await ok('GET', `/api/v1/customers/${c.CUSTOMER}/snapshot${q}`);
  const proj = await api('GET', `/api/v1/customers/${c.CUSTOMER}/projected_usage${q}`);
  const cliProj = runCli('projected_usage', snap);
  assert.equal(proj.text, cliProj.stdout);
  assert.equal(proj.status === 200, cliProj.code === 0);

  const est = await api('POST', '/api/v1/events/estimate_fees', { body: c.estimateBody });
  const cliEst = runCli('estimate_fees', { ...snap, request: c.estimateBody });
  assert.equal(est.text, cliEst.stdout);
  if (est.status === 200) assert.equal(est.body.fees[0].amount_cents, c.expected.estimate.amount_cents);
  else assert.equal(est.body.code, 'validation_errors', est.text);  // engine not there yet
});

test('invoice preview equals the CLI on the server snapshot; nothing is stored', async () => {
  const before = await ok('GET', `/api/v1/customers/${c.CUSTOMER}/snapshot`);
  const r = await api('POST', '/api/v1/invoices/preview', { body: c.previewBody });
  const cli = runCli('preview', { ...before, request: c.previewBody });
  assert.equal(r.status, 200, r.text);
  assert.equal(cli.code, 0, cli.stdout);
  // Lago's endpoint answers {"invoice": {...}}, the engine {"invoices": [...]}: the same
  // invoice, with the customer and subscription as their own endpoints answer them.
  const { customer, subscriptions, ...inv } = r.body.invoice;
  const { customer: cliCustomer, subscriptions: cliSubs, ...cliInv } = JSON.parse(cli.stdout).invoices[0];
  assert.deepEqual(inv, cliInv);
  const { taxes, applicable_invoice_custom_sections: sections, ...plainCustomer } =
    (await ok('GET', `/api/v1/customers/${c.CUSTOMER}`)).customer;
  assert.deepEqual(customer, plainCustomer);  // an invoice embeds the plain CustomerObject
  // ...and the plain SubscriptionObject (Lago's show adds applicable_usage_thresholds, an invoice does not)
  const { applicable_usage_thresholds: thresholds, ...plainSub } =
    (await ok('GET', `/api/v1/subscriptions/${c.SUB}`)).subscription;
  assert.ok(Array.isArray(thresholds));
  assert.deepEqual(subscriptions, [plainSub]);
  assert.equal(cliCustomer.external_id, customer.external_id);
  assert.deepEqual(cliSubs.map((s) => s.external_id), [c.SUB]);
  for (const [k, v] of Object.entries(c.expected.preview)) assert.equal(inv[k], v, k);
  const afterSnap = await ok('GET', `/api/v1/customers/${c.CUSTOMER}/snapshot`);
  assert.deepEqual(afterSnap, before);
});

test('upgrade, downgrade and termination by external_id', async () => {
  await ok('POST', '/api/v1/plans', { plan: { code: 'basic', name: 'Basic', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
  await ok('POST', '/api/v1/plans', { plan: { code: 'premium', name: 'Premium', interval: 'yearly', amount_cents: 120000, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
  await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob', subscription_at: '2024-02-10T00:00:00Z' } });
  // premium: 120000 a year ≥ basic 1000 × 12 = 12000 → upgrade now
  const up = (await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'premium', external_id: 'sub-bob' } })).subscription;
  assert.equal(up.status, 'active');
  assert.equal(up.started_at, '2024-03-15T12:00:00.000Z');
  // yearly calendar period in UTC: 2024-01-01 to 2024-12-31, but (Lago's DatesService) not
  // before the subscription started: from now
  assert.equal(up.current_billing_period_started_at, c.NOW);
  assert.equal(up.current_billing_period_ending_at, '2024-12-31T23:59:59Z');
  assert.equal(up.previous_plan_code, 'basic');
  assert.equal(up.subscription_at, '2024-02-10T00:00:00Z');
  // back to basic: 12000 < 120000 → downgrade at the next yearly calendar period, 2025-01-01
  const down = (await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob' } })).subscription;
  assert.equal(down.status, 'pending');
  const cur = (await ok('GET', '/api/v1/subscriptions/sub-bob')).subscription;
  assert.equal(cur.plan_code, 'premium');
  assert.equal(cur.downgrade_plan_date, '2025-01-01');
  const all = await ok('GET', '/api/v1/subscriptions?external_customer_id=bob&status[]=active&status[]=pending&status[]=terminated');
  assert.deepEqual(all.subscriptions.map((s) => `${s.plan_code}:${s.status}`), ['basic:terminated', 'premium:active', 'basic:pending']);
  const term = (await ok('DELETE', '/api/v1/subscriptions/sub-bob')).subscription;
  assert.equal(term.status, 'terminated');
  assert.equal(term.terminated_at, c.NOW);
  assert.equal((await api('DELETE', '/api/v1/subscriptions/sub-bob')).status, 404);
});
