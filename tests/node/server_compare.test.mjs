// POST /api/v1/customers/{id}/compare_plans over stored state: examples/impact's catalog
// (three monthly plans in arrears, USD, no tax), cus_d on scale with 8,000 calls on 5 March;
// now = 2024-03-15T12:00:00Z. Projection ratio = days(03-01, 03-15 12:00) / 31 = ceil(14.5) = 15/31,
// projected units = round(8000 × 31 / 15, 2) = 16533.33. Worked by hand:
//   starter (1900, 0.01/call)       total 1900 +  8000 × 0.01 = 9900
//                                   projected 1900 + 165.3333 → 16533 = 18433
//   growth  (4900, 0–1000 @ 0.01, then 0.005)
//                                   total 4900 + 10 + 7000 × 0.005 = 35 → 4900 + 4500 = 9400
//                                   projected 10 + 15533.33 × 0.005 = 87.66665 → 8767; 13667
//   scale   (9900, 0–10000 @ 0.004, then 0.002)
//                                   total 9900 + 32.00 = 13100
//                                   projected 40 + 6533.33 × 0.002 = 53.06666 → 5307; 15207
// Ordered by projected total: growth 13667, scale 15207, starter 18433.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { call, cliBin, root, ok as mustAnswer, startImpactServer } from '../../server/testing/harness.mjs';

const NOW = '2024-03-15T12:00:00Z';
const plans = JSON.parse(readFileSync(join(root, 'examples/impact/customers/cus_a.json'), 'utf8')).plans;

let srv, db;
const api = (method, path, body) => call(srv.base, method, path, { body });
const ok = (method, path, body) => mustAnswer(srv.base, method, path, body, 200);

before(async () => {
  ({ srv, db } = await startImpactServer(NOW, plans));
  await ok('POST', '/api/v1/customers', { customer: { external_id: 'cus_d', name: 'D', currency: 'USD' } });
  await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_d', plan_code: 'scale',
    external_id: 'sub_d', subscription_at: '2023-06-01T00:00:00Z', billing_time: 'calendar' } });
  await ok('POST', '/api/v1/events', { event: { transaction_id: 'ev_d', external_subscription_id: 'sub_d',
    code: 'api_calls', timestamp: '2024-03-05T10:00:00Z', properties: { calls: '8000' } } });
});
after(async () => { await srv?.stop(); db?.remove(); });

const PATH = '/api/v1/customers/cus_d/compare_plans';

test('every plan in the customer currency, ordered by projected total, with its invoice', async () => {
  const r = await ok('POST', PATH, { external_subscription_id: 'sub_d' });
  assert.deepEqual(r.plans.map((p) => [p.plan_code, p.total_amount_cents, p.projected_total_amount_cents]),
    [['growth', 9400, 13667], ['scale', 13100, 15207], ['starter', 9900, 18433]]);
  for (const p of r.plans) {
    assert.equal(p.invoice.total_amount_cents, p.total_amount_cents);
    assert.equal(p.invoice.fees[0].item.code, p.plan_code);  // the whole period's subscription fee
  }
  assert.deepEqual(r.plans[0].invoice.fees.map((f) => f.amount_cents), [4900, 4500]);
});

test('plan_codes restricts the comparison; the engine numbers are the CLI ones over the same snapshot', async () => {
  const body = { external_subscription_id: 'sub_d', plan_codes: ['starter', 'scale'] };
  const r = await api('POST', PATH, body);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.plans.map((p) => p.plan_code), ['scale', 'starter']);
  const snap = await ok('GET', '/api/v1/customers/cus_d/snapshot?external_subscription_id=sub_d');
  snap.request = body;
  const cli = spawnSync(cliBin, ['compare_plans', '-'], { input: JSON.stringify(snap), encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stdout);
  // The server answers the stored customer and subscription in Lago's shapes (as its preview
  // does); everything else is the engine's answer as the CLI prints it.
  const engine = JSON.parse(cli.stdout);
  for (const doc of [engine, r.body]) {
    for (const p of doc.plans) { delete p.invoice.customer; delete p.invoice.subscriptions; }
  }
  assert.equal(JSON.stringify(r.body), JSON.stringify(engine));
  assert.equal(r.body.plans[1].invoice.total_amount_cents, 9900);
});

test('errors: unknown customer, subscription and plan, missing subscription id', async () => {
  let r = await api('POST', '/api/v1/customers/nobody/compare_plans', { external_subscription_id: 'sub_d' });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'customer_not_found');
  r = await api('POST', PATH, { external_subscription_id: 'sub_x' });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'subscription_not_found');
  r = await api('POST', PATH, { external_subscription_id: 'sub_d', plan_codes: ['nope'] });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'plan_not_found');
  r = await api('POST', PATH, {});
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.error_details, { external_subscription_id: ['value_is_mandatory'] });
});
