// Durable ingestion through POST /api/v1/events/batch, SQLite and PostgreSQL from one run;
// loopback only, bounded in time; not a test.
//   node bench/server/ingest.mjs [seconds, default 5] [clients, default 8] [stores, default sqlite,postgresql]
// For each store: a fresh database (SQLite: a temporary file, WAL; PostgreSQL: a new database
// on TARIFF_TEST_STORE's cluster, or else a private cluster started with fsync on), the
// integration catalog (server/testing/catalog.mjs), then `clients` concurrent keep-alive
// clients each posting batches of 100 new events (Lago's maximum) for the catalog's
// subscription, as long as the phase lasts: half api_calls (count, filtered by region), half
// storage (sum of gb), timestamps spread over the current period, so that every batch also
// maintains the usage aggregates (docs/usage_aggregates.md). Each batch is acknowledged only
// after its durable commit. The client does as little as it can (bodies prepared before the
// phase, answers only checked for their status and size) since it shares the CPU with the
// server; the CPU time per event of the server, of PostgreSQL's backends serving it and of the
// client are printed too (steadier than events/s on a busy machine), with the rate 2 idle
// cores would sustain at that cost. At the end the stored count is checked against the acknowledged count.
// Prints one Markdown table, the stores side by side.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startServer, tempDb, call, API_KEY } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const CLIENTS = Number(process.argv[3] ?? 8);
const STORES = (process.argv[4] ?? 'sqlite,postgresql').split(',');
const BATCH = 100;
process.env.PGTMP_FSYNC ??= 'on';  // a private cluster, if the harness starts one, is durable

// The server's CPU time (user + system, all threads) in µs, from /proc: on a shared machine
// the CPU spent per event is steadier than events/s.
const cpuUs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e6 / 100;  // utime, stime in clock ticks (100 Hz)
};
// PostgreSQL: the CPU of the backends serving the server's connections to its database.
const backendPids = (url) => {
  const name = new URL(url).pathname.slice(1);
  const r = spawnSync('psql', [url, '-qAt', '-c', `SELECT pid FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
};
const backendsUs = (pids) => new Map(pids.map((p) => { try { return [p, cpuUs(p)]; } catch { return [p, 0]; } }));
// CPU spent between two samples; a backend that appeared meanwhile counts from its start.
const backendsDelta = (before, after) => [...after].reduce((t, [p, us]) => t + us - (before.get(p) ?? 0), 0);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const PERIOD_START = Date.parse('2024-03-01T00:00:00Z') / 1000;

// Batch i, as the text a client sends (prepared outside the timed phase).
function batchText(tag, i) {
  const events = [];
  for (let j = 0; j < BATCH; j++) {
    const n = i * BATCH + j;
    const ts = PERIOD_START + (n * 7) % (14 * 86400);
    events.push(j % 2
      ? { transaction_id: `${tag}-${n}`, external_subscription_id: c.SUB, code: 'api_calls', timestamp: ts,
          properties: { region: n % 3 ? 'eu' : 'us' } }
      : { transaction_id: `${tag}-${n}`, external_subscription_id: c.SUB, code: 'storage', timestamp: ts,
          properties: { gb: String(n % 10) } });
  }
  return JSON.stringify({ events });
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/events/batch', agent,
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let bytes = 0;
      res.on('data', (d) => { bytes += d.length; });
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function bench(kind) {
  const db = tempDb({ kind });
  const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
  const port = Number(new URL(srv.base).port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    const ok = async (m, p, body) => {
      const r = await call(srv.base, m, p, { body });
      if (r.status !== 200) throw new Error(`${m} ${p}: ${r.text}`);
    };
    await ok('PUT', '/api/v1/organizations', c.organization);
    await ok('POST', '/api/v1/taxes', c.tax);
    for (const m of c.metrics) await ok('POST', '/api/v1/billable_metrics', m);
    await ok('POST', '/api/v1/plans', c.plan);
    await ok('POST', '/api/v1/customers', c.customer);
    await ok('POST', '/api/v1/subscriptions', c.subscription);

    // Enough prepared batches for a generous rate (3,000 batches = 300,000 events).
    const bodies = Array.from({ length: 3000 }, (_, i) => batchText('w', i));
    for (let i = 0; i < CLIENTS; i++) await post(agent, port, batchText('warm', i));  // connections open
    const lat = [];
    let next = 0;
    let bad = 0;
    const pids = () => (kind === 'postgresql' ? backendPids(db.path) : []);
    const cpu0 = cpuUs(srv.child.pid), pg0 = backendsUs(pids()), client0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    const worker = async () => {
      while (performance.now() < deadline && next < bodies.length) {
        const body = bodies[next++];
        const t = performance.now();
        const r = await post(agent, port, body);
        lat.push(performance.now() - t);
        if (r.status !== 200) bad++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, worker));
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuUs(srv.child.pid) - cpu0, pg = backendsDelta(pg0, backendsUs(pids()));
    const cu = process.cpuUsage(client0), client = cu.user + cu.system;
    if (bad) throw new Error(`${kind}: ${bad} batches refused`);
    lat.sort((a, b) => a - b);
    const r = await call(srv.base, 'GET', `/api/v1/events?external_subscription_id=${c.SUB}&per_page=1`);
    const stored = r.body.meta.total_count;
    const expected = (lat.length + CLIENTS) * BATCH;
    if (stored !== expected) throw new Error(`${kind}: ${stored} events stored, ${expected} acknowledged`);
    return { events: lat.length * BATCH, perSec: (lat.length * BATCH) / secs, cpuPerEvent: cpu / (lat.length * BATCH),
      pgPerEvent: pg / (lat.length * BATCH), clientPerEvent: client / (lat.length * BATCH), p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
  } finally {
    agent.destroy();
    await srv.stop();
    db.remove();
  }
}

const r = {};
for (const kind of STORES) r[kind] = await bench(kind);
const f = (x, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`${SECONDS} s, ${CLIENTS} clients, batches of ${BATCH}, durable commits\n`);
console.log(`| measure | ${STORES.join(' | ')} |`);
console.log(`|---|${STORES.map(() => '---').join('|')}|`);
console.log(`| events/s | ${STORES.map((k) => f(r[k].perSec, 0)).join(' | ')} |`);
console.log(`| server CPU µs per event | ${STORES.map((k) => f(r[k].cpuPerEvent, 1)).join(' | ')} |`);
console.log(`| PostgreSQL backends' CPU µs per event | ${STORES.map((k) => (k === 'postgresql' ? f(r[k].pgPerEvent, 1) : '—')).join(' | ')} |`);
console.log(`| client CPU µs per event | ${STORES.map((k) => f(r[k].clientPerEvent, 1)).join(' | ')} |`);
// What 2 idle cores would sustain if CPU were the only limit (server, database and client).
const ceiling = (k) => 2e6 / (r[k].cpuPerEvent + r[k].pgPerEvent + r[k].clientPerEvent);
console.log(`| 2-core CPU ceiling, events/s (2 s of CPU a second ÷ CPU per event, all processes) | ${STORES.map((k) => f(ceiling(k), 0)).join(' | ')} |`);
console.log(`| events acknowledged | ${STORES.map((k) => f(r[k].events, 0)).join(' | ')} |`);
console.log(`| batch p50 / p99 ms | ${STORES.map((k) => `${f(r[k].p50)} / ${f(r[k].p99)}`).join(' | ')} |`);
