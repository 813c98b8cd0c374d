// Progressive billing over several periods (docs/progressive_billing.md): usage thresholds on a
// plan and on a subscription, progressive invoices issued by the clock's jobs after events, the
// period-end invoice deducting what they billed, and Lago's lifetime usage endpoints. The server
// is restarted with a later --now; every figure is worked by hand below (no taxes: totals are
// sub-totals).
//
// Plan `usage`: 10.00/month in arrears (1000), `units` (sum of `value`) at 1.00 = 100 per unit;
// thresholds 100.00 fixed (10000, "First 100") and 50.00 recurring (5000).
//   sub_p (cust_p)  the plan's thresholds
//   sub_q (cust_q)  the plan's thresholds, never reached in March; historical usage set later
//   sub_r (cust_r)  its own threshold: 30.00 fixed (replaces the plan's)
//
// Timeline (UTC, calendar billing, subscriptions from 2024-03-01):
//   T0 03-01 00:00  catalog, customers, subscriptions
//   T1 03-10 12:00  p: 60 + 60 units = 12000 → crosses 10000 (12000 − 10000 < 5000: not the
//                   recurring one) → progressive #1: 12000. q: 90 units = 9000 < 10000 → none.
//                   r: 40 units = 4000 ≥ 3000 → progressive: 4000.
//   T2 03-20 00:00  p: + 60 + 60 = 24000; billed 12000, invoiced 12000 ≥ 10000 → recurring:
//                   12000 % 5000 = 2000; (24000 − 12000) + 2000 = 14000 ≥ 5000 → progressive #2:
//                   fees 24000 − credit 12000 = 12000.
//                   p: + 30 = 27000; billed 24000: 24000 % 5000 = 4000; 3000 + 4000 ≥ 5000 →
//                   progressive #3: 27000 − 24000 = 3000.
//                   p: + 10 = 28000; billed 27000: 27000 % 5000 = 2000; 1000 + 2000 < 5000 → none.
//   T3 04-01 00:00:05  March invoices: p 1000 + 28000 − credit 27000 (#3's fees) = 2000;
//                   q 1000 + 9000 = 10000 (no credit); r 1000 + 4000 − 4000 = 1000.
//   T4 04-10 00:00  p: 20 units = 2000; invoiced 28000 ≥ 10000 → 28000 % 5000 = 3000;
//                   2000 + 3000 = 5000 ≥ 5000 → progressive: 2000 (no April credit yet).
//                   q: historical set to 5000; 10 units = 1000; invoiced 5000 + 9000 = 14000 ≥
//                   10000 → 14000 % 5000 = 4000; 1000 + 4000 ≥ 5000 → progressive: 1000.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, ok, serverAt, waitFor, progressiveChecksRun } from '../../server/testing/harness.mjs';

const T0 = '2024-03-01T00:00:00Z';
const T1 = '2024-03-10T12:00:00Z';
const T2 = '2024-03-20T00:00:00Z';
const T3 = '2024-04-01T00:00:05Z';
const T4 = '2024-04-10T00:00:00Z';

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

const withServer = (now, fn) => serverAt(db, now, fn);

let seq = 0;
const units = (sub, value, ts) =>
  ({ event: { transaction_id: `t${++seq}`, external_subscription_id: sub, code: 'units', timestamp: ts, properties: { value } } });

async function invoicesOf(base, customer) {
  const r = await ok(base, 'GET', `/api/v1/invoices?external_customer_id=${customer}&per_page=100`);
  return r.invoices.slice().sort((a, b) => a.sequential_id - b.sequential_id);
}
const summary = (invs) => invs.map((i) => [i.invoice_type, i.issuing_date, i.fees_amount_cents,
  i.progressive_billing_credit_amount_cents, i.total_amount_cents]);
const count = (base, customer, n) => waitFor(async () => { const v = await invoicesOf(base, customer); return v.length === n && v; });
// A tick that issued nothing: the check has run once its queue is empty (polled, the check
// leaves the queue in its job's transaction). `on`: the store (default the shared one).
const settle = (on = db) => progressiveChecksRun(on);

test('T0: thresholds stored on the plan and the subscription, refused as Lago refuses them', async () => {
  await withServer(T0, async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { name: 'Acme', timezone: 'UTC', document_number_prefix: 'ACM-0001' } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Units', code: 'units', aggregation_type: 'sum_agg', field_name: 'value' } });
    const bad = await call(base, 'POST', '/api/v1/plans', { body: { plan: { name: 'Bad', code: 'bad', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
      usage_thresholds: [{ amount_cents: 1000, recurring: true }, { amount_cents: 2000, recurring: true }] } } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error_details, { usage_thresholds: ['multiple_recurring_thresholds'] });
    const plan = await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'Usage', code: 'usage', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD',
      pay_in_advance: false, charges: [{ billable_metric_code: 'units', charge_model: 'standard', properties: { amount: '1' } }],
      usage_thresholds: [{ amount_cents: 10000, threshold_display_name: 'First 100' }, { amount_cents: 5000, recurring: true }] } });
    assert.deepEqual(plan.plan.usage_thresholds.map((t) => [t.amount_cents, t.recurring, t.threshold_display_name]),
      [[10000, false, 'First 100'], [5000, true, null]]);
    for (const c of 'pqr') await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: `cust_${c}`, name: c.toUpperCase(), currency: 'USD' } });
    const sub = (c, extra = {}) => ({ subscription: { external_customer_id: `cust_${c}`, external_id: `sub_${c}`, plan_code: 'usage',
      subscription_at: T0, billing_time: 'calendar', ...extra } });
    const dup = await call(base, 'POST', '/api/v1/subscriptions', { body: sub('r', { usage_thresholds: [{ amount_cents: 3000 }, { amount_cents: 3000 }] }) });
    assert.equal(dup.status, 422);
    assert.deepEqual(dup.body.error_details, { usage_thresholds: ['duplicated_values'] });
    const zero = await call(base, 'POST', '/api/v1/subscriptions', { body: sub('r', { usage_thresholds: [{ amount_cents: 0 }] }) });
    assert.equal(zero.status, 422);
    assert.deepEqual(zero.body.error_details, { 'usage_thresholds[0].amount_cents': ['value_is_out_of_range'] });
    await ok(base, 'POST', '/api/v1/subscriptions', sub('p'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('q'));
    const r = await ok(base, 'POST', '/api/v1/subscriptions', sub('r', { usage_thresholds: [{ amount_cents: 3000 }] }));
    assert.deepEqual(r.subscription.applicable_usage_thresholds, [{ threshold_display_name: null, amount_cents: 3000, recurring: false }],
      'its own threshold replaces the plan\'s');
    const p = await ok(base, 'GET', '/api/v1/subscriptions/sub_p');
    assert.deepEqual(p.subscription.applicable_usage_thresholds,
      [{ threshold_display_name: 'First 100', amount_cents: 10000, recurring: false }, { threshold_display_name: null, amount_cents: 5000, recurring: true }]);
    const lu = await ok(base, 'GET', '/api/v1/subscriptions/sub_p/lifetime_usage');
    assert.equal(lu.lifetime_usage.external_subscription_id, 'sub_p');
    assert.equal(lu.lifetime_usage.current_usage_amount_cents, 0);
    // Nothing reached: the first fixed one at 0/10000, then the recurring one at 10000 + 5000.
    assert.deepEqual(lu.lifetime_usage.usage_thresholds,
      [{ amount_cents: 10000, completion_ratio: 0, reached_at: null }, { amount_cents: 15000, completion_ratio: 0, reached_at: null }]);
    assert.equal((await call(base, 'GET', '/api/v1/subscriptions/nope/lifetime_usage')).status, 404);
  });
});

test('T1: a fixed threshold crossed issues a progressive invoice; below it nothing; a subscription threshold replaces the plan\'s', async () => {
  await withServer(T1, async (base) => {
    await ok(base, 'POST', '/api/v1/events', units('sub_p', 60, '2024-03-05T10:00:00Z'));
    await ok(base, 'POST', '/api/v1/events', units('sub_p', 60, '2024-03-10T09:00:00Z'));
    await ok(base, 'POST', '/api/v1/events', units('sub_q', 90, '2024-03-06T10:00:00Z'));
    await ok(base, 'POST', '/api/v1/events', units('sub_r', 40, '2024-03-07T10:00:00Z'));
    const p = await count(base, 'cust_p', 1);
    assert.deepEqual(summary(p), [['progressive_billing', '2024-03-10', 12000, 0, 12000]]);
    const one = (await ok(base, 'GET', `/api/v1/invoices/${p[0].lago_id}`)).invoice;
    assert.deepEqual(one.fees.map((f) => [f.item.type, f.item.code, f.amount_cents]), [['charge', 'units', 12000]]);
    assert.deepEqual(one.applied_usage_thresholds.map((a) => [a.lifetime_usage_amount_cents, a.usage_threshold.amount_cents, a.usage_threshold.recurring]),
      [[12000, 10000, false]]);
    const r = await count(base, 'cust_r', 1);
    assert.deepEqual(summary(r), [['progressive_billing', '2024-03-10', 4000, 0, 4000]]);
    await settle();
    assert.deepEqual(await invoicesOf(base, 'cust_q'), [], '9000 < 10000: no invoice');
    // Lifetime usage of p: 0 + 0 + 12000; 10000 reached when #1 was issued; no fixed one left:
    // the recurring steps, (10000 + 12000) % 5000 = 2000 → next at 12000 − 2000 + 5000 = 15000, 2000/5000.
    const lu = (await ok(base, 'GET', '/api/v1/subscriptions/sub_p/lifetime_usage')).lifetime_usage;
    assert.deepEqual([lu.external_historical_usage_amount_cents, lu.invoiced_usage_amount_cents, lu.current_usage_amount_cents], [0, 0, 12000]);
    assert.deepEqual(lu.usage_thresholds, [{ amount_cents: 10000, completion_ratio: 1, reached_at: T1 },
      { amount_cents: 15000, completion_ratio: 0.4, reached_at: null }]);
  });
});

test('T2: a recurring threshold crossed twice in the period, each invoice credits the one before; then not crossed', async () => {
  await withServer(T2, async (base) => {
    await ok(base, 'POST', '/api/v1/events/batch', { events: [units('sub_p', 60, '2024-03-18T09:00:00Z').event, units('sub_p', 60, '2024-03-19T09:00:00Z').event] });
    let p = await count(base, 'cust_p', 2);
    assert.deepEqual(summary(p)[1], ['progressive_billing', '2024-03-20', 24000, 12000, 12000]);
    const second = (await ok(base, 'GET', `/api/v1/invoices/${p[1].lago_id}`)).invoice;
    assert.deepEqual(second.credits.map((c) => [c.item.type, c.item.lago_item_id, c.item.code, c.amount_cents, c.before_taxes]),
      [['invoice', p[0].lago_id, p[0].number, 12000, true]]);
    assert.equal(second.applied_usage_thresholds[0].usage_threshold.recurring, true);

    await ok(base, 'POST', '/api/v1/events', units('sub_p', 30, '2024-03-19T12:00:00Z'));
    p = await count(base, 'cust_p', 3);
    assert.deepEqual(summary(p)[2], ['progressive_billing', '2024-03-20', 27000, 24000, 3000]);

    await ok(base, 'POST', '/api/v1/events', units('sub_p', 10, '2024-03-19T18:00:00Z'));
    await settle();
    assert.equal((await invoicesOf(base, 'cust_p')).length, 3, '28000: 1000 + 27000 % 5000 < 5000, nothing more');
    // The preview of March's invoice already deducts what #3 billed: 1000 + 28000 − 27000 = 2000
    // (the invoice T3 issues).
    const pv = await call(base, 'POST', '/api/v1/invoices/preview', { body: { customer: { external_id: 'cust_p' }, subscriptions: { external_ids: ['sub_p'] } } });
    assert.equal(pv.status, 200, pv.text);
    assert.deepEqual([pv.body.invoice.fees_amount_cents, pv.body.invoice.progressive_billing_credit_amount_cents, pv.body.invoice.total_amount_cents],
      [29000, 27000, 2000]);
  });
});

test('T3: the period-end invoices deduct what the progressive invoices billed', async () => {
  await withServer(T3, async (base) => {
    const p = await count(base, 'cust_p', 4);
    assert.deepEqual(summary(p)[3], ['subscription', '2024-04-01', 29000, 27000, 2000]);
    const march = (await ok(base, 'GET', `/api/v1/invoices/${p[3].lago_id}`)).invoice;
    assert.deepEqual(march.fees.map((f) => [f.item.type, f.amount_cents, f.precise_coupons_amount_cents]),
      [['subscription', 1000, '0.0'], ['charge', 28000, '27000.0']]);
    assert.deepEqual(march.credits.map((c) => [c.item.type, c.item.lago_item_id, c.amount_cents]), [['invoice', p[2].lago_id, 27000]]);
    const q = await count(base, 'cust_q', 1);
    assert.deepEqual(summary(q), [['subscription', '2024-04-01', 10000, 0, 10000]]);
    const r = await count(base, 'cust_r', 2);
    assert.deepEqual(summary(r)[1], ['subscription', '2024-04-01', 5000, 4000, 1000]);
    // After March's invoice: invoiced usage = its charge fee 28000, April's usage 0.
    const lu = (await ok(base, 'GET', '/api/v1/subscriptions/sub_p/lifetime_usage')).lifetime_usage;
    assert.deepEqual([lu.invoiced_usage_amount_cents, lu.current_usage_amount_cents], [28000, 0]);
  });
});

test('T4: next period: lifetime usage carries over; historical usage set through the API counts', async () => {
  await withServer(T4, async (base) => {
    const put = await ok(base, 'PUT', '/api/v1/subscriptions/sub_q/lifetime_usage', { lifetime_usage: { external_historical_usage_amount_cents: 5000 } });
    assert.equal(put.lifetime_usage.external_historical_usage_amount_cents, 5000);
    assert.equal(put.lifetime_usage.invoiced_usage_amount_cents, 9000);
    const neg = await call(base, 'PUT', '/api/v1/subscriptions/sub_q/lifetime_usage', { body: { lifetime_usage: { external_historical_usage_amount_cents: -1 } } });
    assert.equal(neg.status, 422);
    assert.deepEqual(neg.body.error_details, { external_historical_usage_amount_cents: ['value_is_out_of_range'] });

    await ok(base, 'POST', '/api/v1/events', units('sub_p', 20, '2024-04-05T10:00:00Z'));
    await ok(base, 'POST', '/api/v1/events', units('sub_q', 10, '2024-04-05T10:00:00Z'));
    const p = await count(base, 'cust_p', 5);
    assert.deepEqual(summary(p)[4], ['progressive_billing', '2024-04-10', 2000, 0, 2000]);
    const q = await count(base, 'cust_q', 2);
    assert.deepEqual(summary(q)[1], ['progressive_billing', '2024-04-10', 1000, 0, 1000]);
    const lu = (await ok(base, 'GET', '/api/v1/subscriptions/sub_q/lifetime_usage')).lifetime_usage;
    assert.deepEqual([lu.external_historical_usage_amount_cents, lu.invoiced_usage_amount_cents, lu.current_usage_amount_cents], [5000, 9000, 1000]);
  });
});

test('a restarted server issues no progressive invoice twice', async () => {
  await withServer(T4, async (base) => {
    await settle();
    assert.equal((await invoicesOf(base, 'cust_p')).length, 5);
    assert.equal((await invoicesOf(base, 'cust_q')).length, 2);
    assert.equal((await invoicesOf(base, 'cust_r')).length, 2);
  });
});

// A SIGKILL at any point of the check's job leaves it wholly done or not at all: killed several
// times while its tick may be running, the server issues the one invoice exactly once.
//   plan `small`: 0/month, `units` at 1.00, one fixed threshold 10.00 (1000); 15 units = 1500.
test('SIGKILL around the threshold check: the progressive invoice exists exactly once', async () => {
  const db2 = tempDb();
  const at = '2024-03-10T00:00:00Z';
  try {
    let srv = await startServer({ db: db2.path, args: ['--now', at, '--rate-limit', '0', '--no-billing'] });
    try {
      const b = srv.base;
      await ok(b, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Units', code: 'units', aggregation_type: 'sum_agg', field_name: 'value' } });
      await ok(b, 'POST', '/api/v1/plans', { plan: { name: 'Small', code: 'small', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
        charges: [{ billable_metric_code: 'units', charge_model: 'standard', properties: { amount: '1' } }], usage_thresholds: [{ amount_cents: 1000 }] } });
      await ok(b, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_k', name: 'K', currency: 'USD' } });
      await ok(b, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_k', external_id: 'sub_k', plan_code: 'small', subscription_at: '2024-03-01T00:00:00Z' } });
      await ok(b, 'POST', '/api/v1/events', units('sub_k', 15, '2024-03-09T10:00:00Z'));
      assert.deepEqual(await invoicesOf(b, 'cust_k'), [], 'no billing: the check waits');
    } finally { await srv.stop(); }
    for (const delay of [0, 40, 120, 300]) {
      srv = await startServer({ db: db2.path, args: ['--now', at, '--rate-limit', '0'] });
      await new Promise((r) => setTimeout(r, delay));
      await srv.kill();
    }
    srv = await startServer({ db: db2.path, args: ['--now', at, '--rate-limit', '0'] });
    try {
      const inv = await count(srv.base, 'cust_k', 1);
      assert.deepEqual(summary(inv), [['progressive_billing', '2024-03-10', 1500, 0, 1500]]);
      await settle(db2);
      assert.equal((await invoicesOf(srv.base, 'cust_k')).length, 1);
    } finally { await srv.stop(); }
  } finally { db2.remove(); }
});
