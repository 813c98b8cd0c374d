// Refusal at the door: every object the engine would later refuse (or Lago's models refuse)
// is answered with Lago's 422 document when written, and nothing is stored; and the server's
// rules are the engine's (currency exponents, downgrade boundaries in the customer's zone).
// Codes: Lago's config/locales/en.yml (blank → value_is_mandatory, too_long →
// value_is_too_long, greater_than → value_is_out_of_range, inclusion → value_is_invalid),
// Events::CreateService (timestamp invalid_format), batch errors keyed by index.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call } from '../../server/testing/harness.mjs';

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
async function state() {
  const parts = [];
  for (const p of ['/api/v1/billable_metrics', '/api/v1/coupons', '/api/v1/customers', '/api/v1/events?per_page=1000',
    '/api/v1/wallets?external_customer_id=c1', '/api/v1/subscriptions?status[]=active&status[]=pending&status[]=terminated']) {
    const r = await api('GET', p);
    assert.equal(r.status, 200, r.text);
    parts.push(r.text);
  }
  return parts.join('\n');
}

before(async () => {
  db = tempDb();
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-31T16:00:00Z'] });
  await ok('/api/v1/billable_metrics', { billable_metric: { code: 'gb', name: 'GB', aggregation_type: 'sum_agg', field_name: 'gb' } });
  await ok('/api/v1/customers', { customer: { external_id: 'c1', name: 'C1', currency: 'EUR' } });
  await ok('/api/v1/plans', { plan: { code: 'monthly', name: 'M', interval: 'monthly', amount_cents: 1000, amount_currency: 'EUR', charges: [] } });
  await ok('/api/v1/plans', { plan: { code: 'cheaper', name: 'C', interval: 'monthly', amount_cents: 500, amount_currency: 'EUR', charges: [] } });
});
after(async () => { await srv?.stop(); db?.remove(); });

test('wallet balances use the engine\'s currency exponents (HUF 0 decimals, IQD 2)', async () => {
  // 10 credits × 2 HUF = 20 HUF; HUF has no minor unit → balance_cents 20 (not 2000)
  let wallet = (await ok('/api/v1/wallets', { wallet: { external_customer_id: 'c1', currency: 'HUF', rate_amount: '2', granted_credits: '10' } })).wallet;
  assert.equal(wallet.balance_cents, 20);
  // 2 credits × 1.5 IQD = 3 IQD; IQD has 2 decimals here → 300 (not 3000)
  wallet = (await ok('/api/v1/wallets', { wallet: { external_customer_id: 'c1', currency: 'IQD', rate_amount: '1.5', granted_credits: '2' } })).wallet;
  assert.equal(wallet.balance_cents, 300);
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
