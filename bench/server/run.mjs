// Load benchmark for tariff-server, loopback only, bounded in time and count; not a test.
//   node bench/server/run.mjs [seconds per phase, default 3]   (TARIFF_BUILD_DIR=build)
// Phases: events/s through POST /api/v1/events/batch (100 events a batch), then req/s with
// p50/p99 latency for POST /api/v1/invoices/preview and GET .../current_usage on the
// integration catalog (server/testing/catalog.mjs). Prints a Markdown table.
import { startServer, tempDb, call, postCatalog } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';
import { numberArgs, phase as timed } from './lib.mjs';

const [SECONDS] = numberArgs(['seconds per phase', 3]);
const CONCURRENCY = 4;
const MAX_REQUESTS = 200000;

async function phase(name, makeRequest, unitsPerRequest = 1) {
  const r = await timed(makeRequest, { seconds: SECONDS, concurrency: CONCURRENCY, max: MAX_REQUESTS });
  return { name, ...r, unitsPerSec: (r.requests * unitsPerRequest) / r.secs };
}

const db = tempDb();
const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0'] });
try {
  await postCatalog(srv.base, { coupon: true, status: 200 });

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
