import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call } from '../../server/testing/harness.mjs';
test('scratch', async () => {
  const db = tempDb();
  const srv = await startServer({ db: db.path, args: ['--now', '2024-03-15T12:00:00Z'] });
  const ok = async (m, p, b) => { const r = await call(srv.base, m, p, { body: b }); assert.ok(r.status < 300, r.text); return r.body; };
  await ok('POST', '/api/v1/plans', { plan: { code: 'basic', name: 'Basic', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
  await ok('POST', '/api/v1/plans', { plan: { code: 'premium', name: 'Premium', interval: 'yearly', amount_cents: 120000, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
  await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob', subscription_at: '2024-02-10T00:00:00Z' } });
  await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'premium', external_id: 'sub-bob' } });
  await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob' } });
  await new Promise((r) => setTimeout(r, 2500));
  const all = await ok('GET', '/api/v1/subscriptions?external_customer_id=bob&status[]=active&status[]=pending&status[]=terminated');
  console.log(JSON.stringify(all.subscriptions.map((s) => [s.plan_code, s.status, s.started_at, s.terminated_at])));
  const inv = await ok('GET', '/api/v1/invoices?external_customer_id=bob');
  console.log(JSON.stringify(inv.invoices.map((i) => [i.issuing_date, i.total_amount_cents])));
  await srv.stop(); console.log(srv.stderr()); db.remove();
});
