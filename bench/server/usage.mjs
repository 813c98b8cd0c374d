// Usage at scale: current_usage and preview latency over HTTP with 10, 1k, 100k and 1M events
// in the subscription's period, other subscriptions' events in the same database, server RSS,
// and durable ingestion events/s through POST /api/v1/events/batch. Loopback, not a test.
//   node bench/server/usage.mjs [max events per subscription, default 1000000]
//                               [other events, default 1000000] [concurrency, default 16]
// (TARIFF_BUILD_DIR=build; the SQLite file goes to $TMPDIR.) Prints Markdown tables.
import { readFileSync } from 'node:fs';
import { startServer, tempDb, API_KEY } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';
import { numberArgs, pct } from './lib.mjs';

const [MAX, OTHERS, CONCURRENCY] = numberArgs(['max events per subscription', 1000000], ['other events', 1000000],
  ['concurrency', 16]);
const SAMPLES = 200;
const LEVELS = [10, 1000, 100000, 1000000].filter((n) => n <= MAX);
const HEADERS = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };

const rss = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
};

const db = tempDb();
const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
const req = async (method, path, body) => {
  const r = await fetch(srv.base + path, { method, headers: HEADERS, body: body === undefined ? undefined : body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return text;
};
const post = (path, obj) => req('POST', path, JSON.stringify(obj));

// Events of March 1–14 2024 (the current period at now = March 15) in the order they happen
// (`total` of them evenly spread): api_calls (count, eu/us filter) and storage (sum of gb,
// graduated), 100 a batch.
function batch(sub, start, n, total) {
  const parts = [];
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const ts = 1709251200 + Math.floor((i * 14 * 86400) / total);
    parts.push(i % 2
      ? `{"transaction_id":"${sub}-${i}","external_subscription_id":"${sub}","code":"api_calls","timestamp":${ts},"properties":{"region":"${i % 3 ? 'eu' : 'us'}"}}`
      : `{"transaction_id":"${sub}-${i}","external_subscription_id":"${sub}","code":"storage","timestamp":${ts},"properties":{"gb":"${(i % 97) + 0.25}"}}`);
  }
  return `{"events":[${parts.join(',')}]}`;
}

async function load(sub, total) {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      const start = next;
      const n = Math.min(100, total - start);
      next += n;
      await req('POST', '/api/v1/events/batch', batch(sub, start, n, total));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total / ((performance.now() - t0) / 1000);
}

async function latency(path, body) {
  const lat = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await req(body ? 'POST' : 'GET', path, body);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

try {
  await post('/api/v1/organizations', c.organization).catch(() => req('PUT', '/api/v1/organizations', JSON.stringify(c.organization)));
  await post('/api/v1/taxes', c.tax);
  for (const m of c.metrics) await post('/api/v1/billable_metrics', m);
  await post('/api/v1/plans', c.plan);
  const subs = {};
  for (const n of [...LEVELS, 'others']) {
    const cust = `cust-${n}`;
    subs[n] = `sub-${n}`;
    await post('/api/v1/customers', { customer: { ...c.customer.customer, external_id: cust } });
    await post('/api/v1/subscriptions', { subscription: { ...c.subscription.subscription, external_customer_id: cust, external_id: subs[n] } });
  }
  const measure = async (n) => {
    const cu = await latency(`/api/v1/customers/cust-${n}/current_usage?external_subscription_id=${subs[n]}`);
    const pv = await latency('/api/v1/invoices/preview', JSON.stringify({ customer: { external_id: `cust-${n}` }, subscriptions: { external_ids: [subs[n]] } }));
    return { cu, pv };
  };
  const rows = [];
  const ingest = [];
  let stored = 0;
  let small0 = null;
  for (const n of LEVELS) {
    const rate = await load(subs[n], n);
    stored += n;
    if (n >= 100000) ingest.push({ what: `${n} events into one subscription`, rate });
    if (n === LEVELS[0]) small0 = await measure(n);
    const m = await measure(n);
    rows.push({ n, stored, ...m, mem: rss(srv.child.pid) });
  }
  if (OTHERS > 0) {
    const rate = await load(subs.others, OTHERS);
    stored += OTHERS;
    ingest.push({ what: `${OTHERS} events into another subscription`, rate });
    for (const n of LEVELS) {
      const m = await measure(n);
      rows.push({ n, stored, ...m, mem: rss(srv.child.pid) });
    }
  }
  const f = (x) => x.toFixed(2);
  console.log(`\n| events in period | events in db | current_usage p50 / p99 ms | preview p50 / p99 ms | RSS MB (peak) |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.n} | ${r.stored} | ${f(r.cu.p50)} / ${f(r.cu.p99)} | ${f(r.pv.p50)} / ${f(r.pv.p99)} | ${r.mem.rss.toFixed(0)} (${r.mem.hwm.toFixed(0)}) |`);
  console.log(`\n10-event subscription alone: current_usage ${f(small0.cu.p50)} / ${f(small0.cu.p99)} ms, preview ${f(small0.pv.p50)} / ${f(small0.pv.p99)} ms`);
  console.log(`\n| ingestion (${CONCURRENCY} clients, 100 a batch, durable) | events/s |\n|---|---|`);
  for (const i of ingest) console.log(`| ${i.what} | ${Math.round(i.rate)} |`);
} finally {
  await srv.stop();
  db.remove();
}
