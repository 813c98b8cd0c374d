// SQLite vs PostgreSQL under tariff-server, loopback only, bounded in time; not a test.
//   node bench/server/stores.mjs [seconds per phase, default 3] [events in the big subscription, default 10000]
// For each store: a fresh database (SQLite: a temporary file, WAL, synchronous=FULL;
// PostgreSQL: a new database on TARIFF_TEST_STORE's cluster, or else a private cluster started
// with fsync on — every acknowledged batch is durable on both), the integration catalog, then
//   1. POST /api/v1/events/batch, 100 new events a request, 4 concurrent clients: events/s;
//   2. GET current_usage of the catalog subscription (7 events) while the database holds the
//      events of phase 1 in another subscription: p50/p99;
//   3. GET current_usage of a subscription with BIG events in its period: p50/p99.
// Prints one Markdown table, the two stores side by side, and the ratios.
import { startServer, tempDb, call, postCatalog, ok as mustAnswer } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';
import { numberArgs, phase as timed } from './lib.mjs';

const [SECONDS, BIG] = numberArgs(['seconds per phase', 3], ['events in the big subscription', 10000]);
const CONCURRENCY = 4;
process.env.PGTMP_FSYNC ??= 'on';  // a private cluster, if the harness starts one, is durable

async function phase(makeRequest, { concurrency = CONCURRENCY, max = 1e9 } = {}) {
  const r = await timed(makeRequest, { seconds: SECONDS, concurrency, max });
  const bad = r.requests - (r.statuses[200] ?? 0);
  if (bad) throw new Error(`${bad} requests failed`);
  return r;
}

async function bench(kind) {
  const db = tempDb({ kind });
  const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
  try {
    const ok = (m, p, body) => mustAnswer(srv.base, m, p, body, 200);
    await postCatalog(srv.base, { status: 200 });
    await ok('POST', '/api/v1/customers', { customer: { external_id: 'big', currency: 'USD' } });
    await ok('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'big', plan_code: 'pro', external_id: 'sub-big', subscription_at: '2024-01-01T00:00:00Z', billing_time: 'calendar' } });
    const batch = (sub, tag, i) => Array.from({ length: 100 }, (_, j) => ({ transaction_id: `${tag}-${i}-${j}`, external_subscription_id: sub,
      code: 'api_calls', timestamp: 1709251200 + ((i * 100 + j) % 1000000), properties: { region: j % 2 ? 'eu' : 'us' } }));

    const ingest = await phase((i) => call(srv.base, 'POST', '/api/v1/events/batch', { body: { events: batch('elsewhere', 'e', i) } }));
    const small = await phase(() => call(srv.base, 'GET', `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${c.SUB}`), { concurrency: 1 });
    for (let i = 0; i < BIG / 100; i += 10)
      await Promise.all(Array.from({ length: Math.min(10, BIG / 100 - i) }, (_, k) => ok('POST', '/api/v1/events/batch', { events: batch('sub-big', 'b', i + k) })));
    const big = await phase(() => call(srv.base, 'GET', `/api/v1/customers/big/current_usage?external_subscription_id=sub-big`), { concurrency: 1 });
    return { ingest, small, big, stored: ingest.requests * 100 };
  } finally {
    await srv.stop();
    db.remove();
  }
}

const r = { sqlite: await bench('sqlite'), postgresql: await bench('postgresql') };
const f = (x, d = 2) => x.toFixed(d);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
console.log(`${SECONDS} s phases; events stored in phase 1: SQLite ${r.sqlite.stored}, PostgreSQL ${r.postgresql.stored}\n`);
console.log('| measure | SQLite | PostgreSQL | PostgreSQL / SQLite |');
console.log('|---|---|---|---|');
console.log(`| ingestion, events/s (batches of 100, 4 clients) | ${f(r.sqlite.ingest.perSec * 100, 0)} | ${f(r.postgresql.ingest.perSec * 100, 0)} | ${ratio(r.postgresql.ingest.perSec, r.sqlite.ingest.perSec)} |`);
console.log(`| ingestion, batch p50 / p99 ms | ${f(r.sqlite.ingest.p50)} / ${f(r.sqlite.ingest.p99)} | ${f(r.postgresql.ingest.p50)} / ${f(r.postgresql.ingest.p99)} | ${ratio(r.postgresql.ingest.p50, r.sqlite.ingest.p50)} |`);
console.log(`| current_usage, 7 events, p50 / p99 ms | ${f(r.sqlite.small.p50)} / ${f(r.sqlite.small.p99)} | ${f(r.postgresql.small.p50)} / ${f(r.postgresql.small.p99)} | ${ratio(r.postgresql.small.p50, r.sqlite.small.p50)} |`);
console.log(`| current_usage, ${BIG} events, p50 / p99 ms | ${f(r.sqlite.big.p50)} / ${f(r.sqlite.big.p99)} | ${f(r.postgresql.big.p50)} / ${f(r.postgresql.big.p99)} | ${ratio(r.postgresql.big.p50, r.sqlite.big.p50)} |`);
