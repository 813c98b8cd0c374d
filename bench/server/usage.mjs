// Usage at scale, both stores: current_usage and preview latency (p50/p99) over HTTP with 10,
// 1k, 100k and 1M events in the subscription's period and DB_EVENTS (default 10,000,000)
// events in the database; a 7-event subscription's latency beside them (noisy neighbour);
// latency while ingestion runs; the server's RSS sampled every 20 ms throughout. Not a test.
//   node bench/server/usage.mjs [stores, default sqlite,postgresql] [events in the database,
//                               default 10000000] [max events per subscription, default 1000000]
//                               [samples per measure, default 400]
// (TARIFF_BUILD_DIR=build; SQLite in $TMPDIR; PostgreSQL on TARIFF_TEST_STORE's cluster or a
// private one from scripts/pgtmp, fsync off unless PGTMP_FSYNC=on. Databases are removed at the end.)
//
// Loading: the measured subscriptions' events and a template subscription ("others-000", up
// to 200k events) go through POST /api/v1/events/batch (the server stores them and maintains
// their aggregates); the rest of the database is bulk-copied from the template in SQL by the
// benchmark alone: its events rows and its `usage`, `usage_day` and `usage_zone` documents
// under other subscription ids (others-001, ...) — the very rows the server would have
// written for those events (the two events indexes dropped for the copy and rebuilt as the
// migrations define them, then ANALYZE: the planner's statistics as a maintained database
// would have them). Prints one Markdown table per store and one side by side.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startServer, tempDb, API_KEY } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

const STORES = (process.argv[2] ?? 'sqlite,postgresql').split(',');
const DB_EVENTS = Number(process.argv[3] ?? 10000000);
const MAX = Number(process.argv[4] ?? 1000000);
const SAMPLES = Number(process.argv[5] ?? 400);
const LEVELS = [10, 1000, 100000, 1000000].filter((n) => n <= MAX);
const TEMPLATE = Math.min(200000, Math.max(0, DB_EVENTS - LEVELS.reduce((a, b) => a + b, 0)));
const LOADERS = 8;
const HEADERS = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };
process.env.PGTMP_FSYNC ??= 'off';  // reads do not depend on it; loading 1.2M events through the API does

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

// Events of March 1–14 2024 (the current period at now = March 15) in time order (`total`
// evenly spread): api_calls (count, eu/us filter) and storage (sum of gb, graduated).
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

// The SQL that copies the template subscription's rows `copies` times (others-001 ...).
function bulkSql(kind, copies) {
  const T = "'others-000'";
  if (kind === 'sqlite') {
    const k = `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${copies})`;
    const id = "printf('others-%03d', k.i)";
    return `PRAGMA synchronous=OFF;
DROP INDEX events_sub_ts; DROP INDEX events_tx;
${k} INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body)
  SELECT ${id}, replace(e.transaction_id, ${T}, ${id}), e.code, e.ts_us, replace(e.body, ${T}, ${id})
  FROM k, events e WHERE e.external_subscription_id = ${T} ORDER BY k.i, e.ts_us, e.seq;
${k} INSERT INTO docs(kind, key, owner, ref, body)
  SELECT d.kind, replace(d.key, ${T}, ${id}), d.owner, d.ref, replace(d.body, ${T}, ${id})
  FROM k, docs d WHERE d.kind IN ('usage', 'usage_day', 'usage_zone') AND substr(d.key, 1, 10) = ${T} ORDER BY k.i, d.seq;
CREATE INDEX events_sub_ts ON events(external_subscription_id, ts_us);
CREATE INDEX events_tx ON events(transaction_id);
ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);`;
  }
  const id = "'others-' || lpad(k.i::text, 3, '0')";
  return `SET synchronous_commit = off; SET maintenance_work_mem = '256MB';
DROP INDEX events_sub_ts; DROP INDEX events_tx;
INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body)
  SELECT ${id}, replace(e.transaction_id, ${T}, ${id}), e.code, e.ts_us, replace(e.body, ${T}, ${id})
  FROM generate_series(1, ${copies}) k(i), events e WHERE e.external_subscription_id = ${T} ORDER BY k.i, e.ts_us, e.seq;
INSERT INTO docs(kind, key, owner, ref, body)
  SELECT d.kind, replace(d.key, ${T}, ${id}), d.owner, d.ref, replace(d.body, ${T}, ${id})
  FROM generate_series(1, ${copies}) k(i), docs d WHERE d.kind IN ('usage', 'usage_day', 'usage_zone') AND substr(d.key, 1, 10) = ${T} ORDER BY k.i, d.seq;
CREATE INDEX events_sub_ts ON events(external_subscription_id, ts_us, seq);
CREATE INDEX events_tx ON events(transaction_id, seq);
VACUUM ANALYZE events; VACUUM ANALYZE docs; CHECKPOINT;`;
}

const count = (kind, db) => Number(kind === 'sqlite'
  ? run('sqlite3', [db, 'SELECT count(*) FROM events'])
  : run('psql', [db, '-qAt', '-c', 'SELECT count(*) FROM events']));

async function bench(kind) {
  const db = tempDb({ kind });
  const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
  // RSS: sampled every 20 ms; `peak` since the last reset, VmHWM for the whole run.
  const mem = { peak: 0, hwm: 0 };
  const sampler = setInterval(() => {
    try {
      const s = readFileSync(`/proc/${srv.child.pid}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
      mem.peak = Math.max(mem.peak, kb('VmRSS') / 1024);
      mem.hwm = kb('VmHWM') / 1024;
    } catch { /* exited */ }
  }, 20);
  const phasePeak = () => { const p = mem.peak; mem.peak = 0; return p; };
  const req = async (method, path, body) => {
    const r = await fetch(srv.base + path, { method, headers: HEADERS, body });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    return text;
  };
  const post = (path, obj) => req('POST', path, JSON.stringify(obj));
  const load = async (sub, total, clients = LOADERS, stop = () => false) => {
    let next = 0;
    let done = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < total && !stop()) {
        const start = next;
        const n = Math.min(100, total - start);
        next += n;
        await req('POST', '/api/v1/events/batch', batch(sub, start, n, total));
        done += n;
      }
    };
    await Promise.all(Array.from({ length: clients }, worker));
    return { events: done, rate: done / ((performance.now() - t0) / 1000) };
  };
  // The timed calls go through node:http on one kept-alive connection: fetch() (undici) costs
  // 1–1.5 ms a call of its own on this machine, more than the server's whole work for a small
  // subscription, and its allocations put the client's GC pauses in the tail.
  const base = new URL(srv.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const timed = (method, path, body) => new Promise((ok, fail) => {
    const r = http.request({ host: base.hostname, port: base.port, method, path, agent,
      headers: body ? { ...HEADERS, 'Content-Length': Buffer.byteLength(body) } : HEADERS }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => (res.statusCode === 200 ? ok() : fail(new Error(`${method} ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`))));
    });
    r.on('error', fail);
    r.end(body);
  });
  // The server process's CPU time (user + system, clock ticks of 10 ms): per call, a figure a
  // busy machine disturbs less than wall-clock latency.
  const cpuTicks = () => {
    try {
      const f = readFileSync(`/proc/${srv.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch { return NaN; }
  };
  const latency = async (path, body, samples = SAMPLES) => {
    for (let i = 0; i < 10; i++) await timed(body ? 'POST' : 'GET', path, body);  // warm
    const lat = [];
    const cpu0 = cpuTicks();
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await timed(body ? 'POST' : 'GET', path, body);
      lat.push(performance.now() - t);
    }
    const cpu = ((cpuTicks() - cpu0) * 10) / samples;
    lat.sort((a, b) => a - b);
    return { p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat[lat.length - 1], cpu };
  };
  const measure = async (cust, sub, samples) => ({
    cu: await latency(`/api/v1/customers/${cust}/current_usage?external_subscription_id=${sub}`, undefined, samples),
    pv: await latency('/api/v1/invoices/preview', JSON.stringify({ customer: { external_id: cust }, subscriptions: { external_ids: [sub] } }), samples),
  });
  try {
    await req('PUT', '/api/v1/organizations', JSON.stringify(c.organization));
    await post('/api/v1/taxes', c.tax);
    for (const m of c.metrics) await post('/api/v1/billable_metrics', m);
    await post('/api/v1/plans', c.plan);
    await post('/api/v1/customers', c.customer);
    await post('/api/v1/subscriptions', c.subscription);
    await post('/api/v1/events/batch', { events: c.events });
    for (const n of [...LEVELS, 'others-000']) {
      const cust = `cust-${n}`;
      await post('/api/v1/customers', { customer: { ...c.customer.customer, external_id: cust } });
      await post('/api/v1/subscriptions', { subscription: { ...c.subscription.subscription, external_customer_id: cust,
        external_id: typeof n === 'number' ? `sub-${n}` : n } });
    }
    // The catalog's 7 events: the neighbour's answer is known (catalog.mjs, by hand).
    const check = JSON.parse(await req('GET', `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${c.SUB}`));
    if (check.customer_usage.total_amount_cents !== c.expected.current.total_amount_cents)
      throw new Error(`neighbour total ${check.customer_usage.total_amount_cents}`);
    const alone = await measure(c.CUSTOMER, c.SUB);
    const ingest = [];
    log(kind, 'loading through the API');
    for (const n of LEVELS) ingest.push({ what: `${n} events, one subscription`, ...await load(`sub-${n}`, n) });
    if (TEMPLATE) ingest.push({ what: `${TEMPLATE} events, template subscription`, ...await load('others-000', TEMPLATE) });
    const loadPeak = phasePeak();
    const copies = TEMPLATE ? Math.max(0, Math.round((DB_EVENTS - count(kind, db.path)) / TEMPLATE)) : 0;
    let bulkSecs = 0;
    if (copies) {
      log(kind, `bulk copy: ${copies} × ${TEMPLATE}`);
      const t = performance.now();
      if (kind === 'sqlite') run('sqlite3', [db.path], bulkSql(kind, copies));
      else run('psql', [db.path, '-v', 'ON_ERROR_STOP=1', '-q'], bulkSql(kind, copies));
      bulkSecs = (performance.now() - t) / 1000;
    }
    const stored = count(kind, db.path);
    log(kind, `${stored} events in the database; measuring`);
    phasePeak();
    const rows = [];
    for (const n of LEVELS) {
      const m = await measure(`cust-${n}`, `sub-${n}`);
      rows.push({ what: `${n}`, ...m, rss: phasePeak() });
    }
    const neighbour = await measure(c.CUSTOMER, c.SUB);
    const floor = await latency('/health');
    rows.push({ what: `7 (neighbour; ${alone.cu.p50.toFixed(2)} / ${alone.pv.p50.toFixed(2)} ms p50 before the others)`, ...neighbour, rss: phasePeak() });
    // While 4 clients ingest into another subscription.
    let stop = false;
    const live = load('live', 1e9, 4, () => stop);
    await new Promise((r) => setTimeout(r, 500));
    const top = LEVELS[LEVELS.length - 1];
    const during = await measure(`cust-${top}`, `sub-${top}`, Math.min(SAMPLES, 200));
    const duringSmall = await measure(c.CUSTOMER, c.SUB, Math.min(SAMPLES, 200));
    stop = true;
    const liveRate = await live;
    rows.push({ what: `${top}, ingestion running`, ...during, rss: 0 });
    rows.push({ what: '7, ingestion running', ...duringSmall, rss: phasePeak() });
    ingest.push({ what: `4 clients during the calculations above (${liveRate.events} events)`, rate: liveRate.rate });
    agent.destroy();
    return { kind, rows, ingest, stored, copies, bulkSecs, loadPeak, hwm: mem.hwm, floor };
  } finally {
    clearInterval(sampler);
    await srv.stop();
    db.remove();
  }
}

const results = [];
for (const kind of STORES) results.push(await bench(kind));
const f = (x) => x.toFixed(2);
for (const r of results) {
  console.log(`\n### ${r.kind}: ${r.stored} events in the database (${r.copies} bulk copies in ${r.bulkSecs.toFixed(0)} s), server RSS peak ${r.hwm.toFixed(0)} MB (loading through the API: ${r.loadPeak.toFixed(0)} MB)\n`);
  console.log(`GET /health (the client and HTTP alone): ${f(r.floor.p50)} / ${f(r.floor.p99)} (${f(r.floor.max)}) ms\n`);
  console.log('| events in period | current_usage p50 / p99 (max) ms | preview p50 / p99 (max) ms | server CPU ms a call (usage / preview) | RSS peak MB |');
  console.log('|---|---|---|---|---|');
  for (const x of r.rows)
    console.log(`| ${x.what} | ${f(x.cu.p50)} / ${f(x.cu.p99)} (${f(x.cu.max)}) | ${f(x.pv.p50)} / ${f(x.pv.p99)} (${f(x.pv.max)}) | ${f(x.cu.cpu)} / ${f(x.pv.cpu)} | ${x.rss ? x.rss.toFixed(0) : ''} |`);
  console.log('\n| ingestion (100 a batch, durable) | events/s |\n|---|---|');
  for (const i of r.ingest) console.log(`| ${i.what} | ${Math.round(i.rate)} |`);
}
if (results.length === 2) {
  const [a, b] = results;
  console.log(`\n| events in period | ${a.kind} usage p50 / p99 | ${b.kind} usage p50 / p99 | ${a.kind} preview p50 / p99 | ${b.kind} preview p50 / p99 |`);
  console.log('|---|---|---|---|---|');
  a.rows.forEach((x, i) => {
    const y = b.rows[i];
    console.log(`| ${x.what.split(' (')[0]} | ${f(x.cu.p50)} / ${f(x.cu.p99)} | ${f(y.cu.p50)} / ${f(y.cu.p99)} | ${f(x.pv.p50)} / ${f(x.pv.p99)} | ${f(y.pv.p50)} / ${f(y.pv.p99)} |`);
  });
}
