// POST /api/v1/plans/{code}/impact over N stored customers (loopback, temporary SQLite file):
// examples/impact's catalog, N customers on growth with one March event each (7·i calls),
// the proposal of examples/impact/plans_new.json (a free first tier). Best of 3.
//   node bench/server/impact.mjs [N, default 1000]   (TARIFF_BUILD_DIR=build)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDb, root, ok as mustAnswer } from '../../server/testing/harness.mjs';
import { numberArgs } from './lib.mjs';

const [N] = numberArgs(['customers', 1000]);
const example = (p) => JSON.parse(readFileSync(join(root, 'examples/impact', p), 'utf8'));
const db = tempDb();
const srv = await startServer({ db: db.path, args: ['--now', '2024-03-15T12:00:00Z', '--rate-limit', '0'] });
const ok = (method, path, body) => mustAnswer(srv.base, method, path, body, 200);
try {
  await ok('POST', '/api/v1/billable_metrics', { billable_metric: { code: 'api_calls', name: 'API calls',
    aggregation_type: 'sum_agg', field_name: 'calls' } });
  for (const p of example('customers/cus_a.json').plans) await ok('POST', '/api/v1/plans', { plan: p });
  for (let i = 0; i < N; i++) {
    await ok('POST', '/api/v1/customers', { customer: { external_id: `c${i}`, currency: 'USD' } });
    await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: `c${i}`, plan_code: 'growth',
      external_id: `s${i}`, subscription_at: '2023-06-01T00:00:00Z', billing_time: 'calendar' } });
    await ok('POST', '/api/v1/events', { event: { transaction_id: `e${i}`, external_subscription_id: `s${i}`,
      code: 'api_calls', timestamp: '2024-03-05T10:00:00Z', properties: { calls: String(i * 7) } } });
  }
  const plan = example('plans_new.json').plans.find((p) => p.code === 'growth');
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const r = await ok('POST', '/api/v1/plans/growth/impact?per_page=20', { plan });
    best = Math.min(best, performance.now() - t0);
    if (r.summary.customers !== N) throw new Error('wrong customer count');
  }
  console.log(`POST /api/v1/plans/growth/impact, ${N} customers: ${best.toFixed(0)} ms (${Math.round(N / best * 1000)} customers/s)`);
} finally {
  await srv.stop();
  db.remove();
}
