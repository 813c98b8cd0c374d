// POST /api/v1/plans/{code}/impact over the stored customers: examples/impact's catalog
// (three monthly plans in arrears, USD, no tax) and five customers set up over HTTP, one
// March event each; now = 2024-03-15T12:00:00Z. Figures worked by hand
// (examples/impact/README.md):
//   starter: cus_a 300 calls   1900 + 300 = 2200 → fee 24.00: 2400 + 300 = 2700      +500
//   growth:  cus_b 400 calls   4900 + 400 = 5300 → 0–500 free: 4900                 −400
//            cus_c 1500 calls  4900 + 1000 + 250 = 6150 → 4900 + 0 + 500 + 250 = 5650 −500
//   scale:   cus_d 8000 calls  9900 + 3200 = 13100 → 9900 + 2000 + 600 = 12500     −600
//            cus_e 3000 calls  9900 + 1200 = 11100 → unchanged                        0
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, cliBin, root, ok as mustAnswer, startImpactServer } from '../../server/testing/harness.mjs';

const NOW = '2024-03-15T12:00:00Z';
const example = (p) => JSON.parse(readFileSync(join(root, 'examples/impact', p), 'utf8'));
const oldPlans = example('customers/cus_a.json').plans;
const newPlans = example('plans_new.json').plans;
const planOf = (plans, code) => structuredClone(plans.find((p) => p.code === code));
const customers = [['cus_a', 'starter', 300], ['cus_b', 'growth', 400], ['cus_c', 'growth', 1500],
  ['cus_d', 'scale', 8000], ['cus_e', 'scale', 3000]];

let srv, db;
const api = (method, path, body) => call(srv.base, method, path, { body });
const ok = (method, path, body) => mustAnswer(srv.base, method, path, body, 200);

before(async () => {
  ({ srv, db } = await startImpactServer(NOW, oldPlans));
  for (const [id, plan, calls] of customers) {
    await ok('POST', '/api/v1/customers', { customer: { external_id: id, name: id, currency: 'USD' } });
    await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: id, plan_code: plan,
      external_id: `sub_${id}`, subscription_at: '2023-06-01T00:00:00Z', billing_time: 'calendar' } });
    await ok('POST', '/api/v1/events', { event: { transaction_id: `ev_${id}`, external_subscription_id: `sub_${id}`,
      code: 'api_calls', timestamp: '2024-03-05T10:00:00Z', properties: { calls: String(calls) } } });
  }
});
after(async () => { await srv?.stop(); db?.remove(); });

const row = (id, o, n) => ({ external_customer_id: id, old_total_amount_cents: o, new_total_amount_cents: n,
  delta_amount_cents: n - o });

test('a new free tier on growth: its two customers, summary and Lago pagination meta', async () => {
  const r = await ok('POST', '/api/v1/plans/growth/impact', { plan: planOf(newPlans, 'growth') });
  assert.deepEqual(Object.keys(r), ['customers', 'summary', 'meta']);
  assert.deepEqual(r.customers, [row('cus_b', 5300, 4900), row('cus_c', 6150, 5650)]);
  assert.deepEqual(r.summary, { customers: 2, increased: 0, decreased: 2, unchanged: 0,
    old_total_amount_cents: 11450, new_total_amount_cents: 10550, delta_amount_cents: -900 });
  assert.deepEqual(r.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 2 });

  const p2 = await ok('POST', '/api/v1/plans/growth/impact?per_page=1&page=2', { plan: planOf(newPlans, 'growth') });
  assert.deepEqual(p2.customers, [row('cus_c', 6150, 5650)]);
  assert.deepEqual(p2.summary, r.summary);  // the summary covers every customer, not the page
  assert.deepEqual(p2.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 2 });
  const p3 = await ok('POST', '/api/v1/plans/growth/impact?per_page=1&page=3', { plan: planOf(newPlans, 'growth') });
  assert.deepEqual(p3.customers, []);
});

test('a partial body is merged over the stored plan (a price rise on starter)', async () => {
  const r = await ok('POST', '/api/v1/plans/starter/impact', { plan: { amount_cents: 2400 } });
  assert.deepEqual(r.customers, [row('cus_a', 2200, 2700)]);
  assert.equal(r.summary.increased, 1);
});

test('a tier boundary moved on scale: one decrease, one unchanged', async () => {
  const r = await ok('POST', '/api/v1/plans/scale/impact', { plan: planOf(newPlans, 'scale') });
  assert.deepEqual(r.customers, [row('cus_d', 13100, 12500), row('cus_e', 11100, 11100)]);
  assert.deepEqual(r.summary, { customers: 2, increased: 0, decreased: 1, unchanged: 1,
    old_total_amount_cents: 24200, new_total_amount_cents: 23600, delta_amount_cents: -600 });
});

test('the server agrees with `tariff impact` on its own snapshots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tariff-impact-'));
  try {
    const files = [];
    for (const id of ['cus_b', 'cus_c']) {
      const snap = await ok('GET', `/api/v1/customers/${id}/snapshot`);
      snap.request = { customer: { external_id: id }, subscriptions: { external_ids: [`sub_${id}`] } };
      files.push(join(dir, `${id}.json`));
      writeFileSync(files.at(-1), JSON.stringify(snap));
    }
    writeFileSync(join(dir, 'plans.json'), JSON.stringify({ plans: [planOf(newPlans, 'growth')] }));
    const cli = spawnSync(cliBin, ['impact', '--plans', join(dir, 'plans.json'), ...files], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    const server = await ok('POST', '/api/v1/plans/growth/impact', { plan: planOf(newPlans, 'growth') });
    const fromCli = JSON.parse(cli.stdout);
    assert.deepEqual(fromCli.customers, server.customers);
    assert.deepEqual(fromCli.summary, server.summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors: unknown plan, missing body, a proposal the engine refuses; nothing is stored', async () => {
  const before = await ok('GET', '/api/v1/plans/growth');
  let r = await api('POST', '/api/v1/plans/nope/impact', { plan: { amount_cents: 1 } });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'plan_not_found');
  r = await api('POST', '/api/v1/plans/growth/impact', {});
  assert.equal(r.status, 400);
  const broken = planOf(newPlans, 'growth');
  broken.charges[0].properties.graduated_ranges[1].from_value = 700;  // a gap after 500
  r = await api('POST', '/api/v1/plans/growth/impact', { plan: broken });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.error_details, { 'charges[0].properties.graduated_ranges': ['invalid_graduated_ranges'] });
  r = await api('GET', '/api/v1/plans/growth/impact');
  assert.equal(r.status, 405);
  assert.deepEqual(await ok('GET', '/api/v1/plans/growth'), before);
});
