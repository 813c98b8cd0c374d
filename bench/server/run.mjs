// Load benchmark for tariff-server, loopback only, bounded in time and count; not a test.
//   node bench/server/run.mjs [seconds per phase, default 3]   (TARIFF_BUILD_DIR=build)
// Phases: events/s through POST /api/v1/events/batch (100 events a batch), then req/s with
// p50/p99 latency for POST /api/v1/invoices/preview and GET .../current_usage on the
// integration catalog (server/testing/catalog.mjs). Prints a Markdown table.
import { startServer, tempDb, call } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

const SECONDS = Number(process.argv[2] ?? 3);
const CONCURRENCY = 4;
const MAX_REQUESTS = 200000;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function phase(name, makeRequest, unitsPerRequest = 1) {
  const lat = [];
  const statuses = {};
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline && n < MAX_REQUESTS) {
      const i = n++;
      const t = performance.now();
      const r = await makeRequest(i);
      lat.push(performance.now() - t);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { name, requests: lat.length, perSec: (lat.length / secs), unitsPerSec: (lat.length * unitsPerRequest) / secs,
    p50: pct(lat, 0.5), p99: pct(lat, 0.99), statuses };
}

const db = tempDb();
const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0'] });
try {
  const ok = async (m, p, body) => {
    const r = await call(srv.base, m, p, { body });
    if (r.status !== 200) throw new Error(`${m} ${p}: ${r.text}`);
  };
  await ok('PUT', '/api/v1/organizations', c.organization);
  await ok('POST', '/api/v1/taxes', c.tax);
  for (const m of c.metrics) await ok('POST', '/api/v1/billable_metrics', m);
  await ok('POST', '/api/v1/plans', c.plan);
  await ok('POST', '/api/v1/coupons', c.coupon);
  await ok('POST', '/api/v1/customers', c.customer);
  await ok('POST', '/api/v1/subscriptions', c.subscription);
  await ok('POST', '/api/v1/events/batch', { events: c.events });

  const results = [];
  // Events go to their own subscription so the calculation phases see a fixed snapshot.
  results.push(await phase('events (batch of 100)', (i) => call(srv.base, 'POST', '/api/v1/events/batch', { body: {
    events: Array.from({ length: 100 }, (_, j) => ({ transaction_id: `bench-${i}-${j}`, external_subscription_id: 'bench-sub',
      code: 'api_calls', timestamp: 1710000000 + j, properties: { region: 'eu' } })) } }), 100));
  results.push(await phase('invoice preview', () => call(srv.base, 'POST', '/api/v1/invoices/preview', { body: c.previewBody })));
  results.push(await phase('current usage', () => call(srv.base, 'GET', `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${c.SUB}`)));

  console.log(`| phase | requests | req/s | units/s | p50 ms | p99 ms | statuses |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const r of results)
    console.log(`| ${r.name} | ${r.requests} | ${r.perSec.toFixed(0)} | ${r.unitsPerSec.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${JSON.stringify(r.statuses)} |`);
} finally {
  await srv.stop();
  db.remove();
}
