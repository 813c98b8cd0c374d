// The same flow driven by Lago's own JavaScript client (lago-javascript-client), pointed at
// tariff-server's base URL: the paths, bodies and answers are Lago's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, getLagoError } from 'lago-javascript-client';
import { startServer, tempDb, API_KEY, call, runCli, lagoFetch } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

let srv, db, lago;

before(async () => {
  db = tempDb();
  // A hand-worked state without billing history: no billing job runs (the catalog's
  // subscription, started 2024-01-01, would otherwise be billed for January and February).
  srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--no-billing'] });
  lago = Client(API_KEY, { baseUrl: `${srv.base}/api/v1`, customFetch: lagoFetch(srv.base) });
});
after(async () => { await srv?.stop(); db?.remove(); });

test('catalog, customer, subscription and events through the Lago client', async () => {
  await lago.organizations.updateOrganization(c.organization);
  await lago.taxes.createTax(c.tax);
  for (const m of c.metrics) await lago.billableMetrics.createBillableMetric(m);
  const { data: plan } = await lago.plans.createPlan(c.plan);
  assert.equal(plan.plan.code, 'pro');
  await lago.coupons.createCoupon(c.coupon);
  await lago.customers.createCustomer(c.customer);
  const { data: sub } = await lago.subscriptions.createSubscription(c.subscription);
  assert.equal(sub.subscription.status, 'active');
  await lago.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: c.CUSTOMER, coupon_code: 'welcome' } });
  const { data: wallet } = await lago.wallets.createWallet({ wallet: { external_customer_id: c.CUSTOMER, rate_amount: '1', currency: 'USD', granted_credits: '20' } });
  assert.equal(wallet.wallet.balance_cents, 2000);  // 20 credits × 1.00 = 2000 cents

  await lago.events.createEvent({ event: c.events[0] });
  const { data: batch } = await lago.events.createBatchEvents({ events: c.events.slice(1) });
  assert.equal(batch.events.length, c.events.length - 1);
  const { data: found } = await lago.events.findEvent('ev-6');
  assert.equal(found.event.properties.gb, '9');

  const { data: plans } = await lago.plans.findAllPlans({ per_page: 10, page: 1 });
  assert.equal(plans.meta.total_count, 1);
});

test('a duplicate event is refused as Lago refuses it', async () => {
  try {
    await lago.events.createEvent({ event: c.events[0] });
    assert.fail('duplicate accepted');
  } catch (e) {
    assert.equal(e.status, 422);
    const err = await getLagoError(e);
    assert.deepEqual(err.error_details, { transaction_id: ['value_already_exist'] });
  }
});

test('current usage through the client: hand-computed totals', async () => {
  const { data } = await lago.customers.findCustomerCurrentUsage(c.CUSTOMER, { external_subscription_id: c.SUB });
  assert.equal(data.customer_usage.amount_cents, c.expected.current.amount_cents);
  assert.equal(data.customer_usage.taxes_amount_cents, c.expected.current.taxes_amount_cents);
  assert.equal(data.customer_usage.total_amount_cents, c.expected.current.total_amount_cents);
});

test('invoice preview through the client: the totals Lago\'s client reads, worked by hand', async () => {
  const { data } = await lago.invoices.invoicePreview(c.previewBody);
  const inv = data.invoice;
  // fees: subscription 5000 + charges 12 + 1350 + 0 = 6362 (catalog.mjs)
  assert.equal(inv.fees_amount_cents, 6362);
  // fixed coupon "welcome": 1000 off → 5362 before taxes
  assert.equal(inv.coupons_amount_cents, 1000);
  assert.equal(inv.sub_total_excluding_taxes_amount_cents, 5362);
  // vat20: round(5362 × 20 %) = round(1072.4) = 1072
  assert.equal(inv.taxes_amount_cents, 1072);
  assert.equal(inv.sub_total_including_taxes_amount_cents, 5362 + 1072);
  // wallet: 20 granted credits × 1.00 = 2000 cents paid from 6434 → 4434 due
  assert.equal(inv.prepaid_credit_amount_cents, 2000);
  assert.equal(inv.total_amount_cents, 6434 - 2000);
  assert.equal(inv.currency, 'USD');
  assert.equal(inv.customer.external_id, c.CUSTOMER);
  assert.deepEqual(inv.subscriptions.map((s) => s.external_id), [c.SUB]);
});

test('preview, projected usage and estimate fees through the client equal the CLI', async () => {
  const snap = (await call(srv.base, 'GET', `/api/v1/customers/${c.CUSTOMER}/snapshot?external_subscription_id=${c.SUB}`)).body;
  const cases = [
    ['projected_usage', () => lago.customers.findCustomerProjectedUsage(c.CUSTOMER, { external_subscription_id: c.SUB }), snap.request],
    ['estimate_fees', () => lago.events.eventEstimateFees(c.estimateBody), c.estimateBody],
  ];
  for (const [op, run, request] of cases) {
    let status, body;
    try {
      const r = await run();
      status = r.status;
      body = r.data;
    } catch (e) {  // the client throws the Response on a non-2xx status
      status = e.status;
      body = e.error;
    }
    const cli = runCli(op, { ...snap, request });
    assert.equal(status === 200, cli.code === 0, op);
    assert.deepEqual(body, JSON.parse(cli.stdout), op);
  }
});
