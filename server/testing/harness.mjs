// Test and benchmark harness for tariff-server: start the real binary on a free loopback
// port with a temporary SQLite file, talk to it over HTTP, run the CLI on a snapshot.
// Used by tests/node/server_*.test.mjs and bench/server/.
//
// Store: env TARIFF_TEST_STORE=postgresql://user@host:port/db (a cluster's maintenance
// database, e.g. from scripts/pgtmp) makes every tempDb() a fresh PostgreSQL database on that
// cluster instead of a SQLite file; unset = SQLite. `storeKind` says which.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validator } from './openapi.mjs';
import * as catalog from './catalog.mjs';

export { validator };

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = resolve(root, process.env.TARIFF_BUILD_DIR ?? 'build');
export const serverBin = join(buildDir, 'tariff-server');
export const cliBin = join(buildDir, 'tariff');
export const API_KEY = 'test-key-0123456789';
// Lago's OpenAPI document, read and checked once per process before any request is timed.
validator();

const pgAdmin = process.env.TARIFF_TEST_STORE || '';
export const storeKind = pgAdmin ? 'postgresql' : 'sqlite';

function psql(url, sql) {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

// In each PostgreSQL test database, SQLite's functions that tests' hand-made SQL uses
// (json_extract, json_set on a top-level key keeping the key order, group_concat), so that one
// statement runs on either store through sqlQuery(). The server never calls them.
const pgTestFunctions = `
CREATE FUNCTION json_extract(body text, path text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT (body::json) #>> string_to_array(substr(path, 3), '.') $$;
CREATE FUNCTION json_set(body text, path text, val text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT json_object_agg(k, CASE WHEN k = substr(path, 3) THEN to_json(val) ELSE v END ORDER BY n)::text
        FROM json_each(body::json) WITH ORDINALITY AS e(k, v, n) $$;
CREATE FUNCTION tariff_group_concat(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE a || ',' || b END $$;
CREATE AGGREGATE group_concat(text) (SFUNC = tariff_group_concat, STYPE = text);`;

// The PostgreSQL cluster tests use: TARIFF_TEST_STORE's, or else a private one started once
// for this process (scripts/pgtmp) and stopped when the process exits. Throws when none can run.
let ownCluster = null;
export function pgAdminUrl() {
  if (pgAdmin) return pgAdmin;
  if (!ownCluster) {
    const r = spawnSync('bash', [join(root, 'scripts/pgtmp'), 'start'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot start a PostgreSQL cluster: ${r.stderr}`);
    const env = Object.fromEntries([...r.stdout.matchAll(/export (\w+)='?([^'\s]+)'?/g)].map((m) => [m[1], m[2]]));
    ownCluster = { url: env.TARIFF_TEST_STORE, data: env.TARIFF_PG_DATA };
    process.on('exit', () => spawnSync('bash', [join(root, 'scripts/pgtmp'), 'stop', ownCluster.data]));
  }
  return ownCluster.url;
}

// A fresh store: {path (the --db value), remove()}. SQLite: a file in a new temporary
// directory; PostgreSQL: a new database on TARIFF_TEST_STORE's cluster, dropped by remove().
// kind ('sqlite' | 'postgresql', default storeKind) asks for one store whatever the env says.
// tmpfs: a SQLite file on /dev/shm when there is one (a SIGKILL loses nothing the page cache
// holds, so a crash test tests the same thing there; tmpfs only spares a slow disk's fsyncs).
export function tempDb({ kind = storeKind, tmpfs = false } = {}) {
  if (kind === 'postgresql') {
    const pgAdmin = pgAdminUrl();
    const name = `tariff_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(pgAdmin);
    url.pathname = `/${name}`;
    const made = psql(pgAdmin, `CREATE DATABASE ${name}`);
    if (made.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${made.stderr}`);
    const fns = psql(url.href, pgTestFunctions);
    if (fns.status !== 0) throw new Error(`test functions: ${fns.stderr}`);
    return { path: url.href, remove: () => { psql(pgAdmin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } };
  }
  const dir = mkdtempSync(join(tmpfs && existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tariff-server-'));
  return { dir, path: join(dir, 'tariff.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// One SQL statement on a store made by tempDb() (sqlite3 or psql, unaligned, no headers):
// {status, stdout, stderr}, as spawnSync gives them.
export function sqlQuery(db, sql) {
  return isPg(db) ? psql(db, sql) : spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

// Bytes of write-ahead log written so far (SQLite: the -wal file; PostgreSQL: the cluster's
// WAL position): lets a crash test kill a process once it has committed some work.
export function walBytes(db) {
  if (!isPg(db)) {
    const wal = `${db}-wal`;
    return existsSync(wal) ? statSync(wal).size : 0;
  }
  return Number(psql(db, "SELECT pg_current_wal_insert_lsn() - '0/0'").stdout.trim());
}

const isPg = (db) => /^postgres(ql)?:\/\//.test(db);

// Starts the server; resolves once it printed "listening on http://127.0.0.1:PORT".
export async function startServer({ db, args = [], keys = [API_KEY], timeoutMs = 10000 } = {}) {
  if (!existsSync(serverBin)) throw new Error(`missing ${serverBin}: build it first`);
  const child = spawn(serverBin, ['--host', '127.0.0.1', '--port', '0', '--db', db, ...args], {
    env: { ...process.env, TARIFF_API_KEYS: keys.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const base = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}: ${stderr}`)); });
  });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    base, child, exited, stderr: () => stderr,
    async stop() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return exited; },
    async kill() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); return exited; },
  };
}

// A server on `db` (a tempDb()) with its clock at `now` (--now, no rate limit, then `args`)
// for as long as fn(base) runs: resolves fn's value, the server stopped.
export async function serverAt(db, now, fn, { args = [] } = {}) {
  const srv = await startServer({ db: db.path, args: ['--now', now, '--rate-limit', '0', ...args] });
  try { return await fn(srv.base); } finally { await srv.stop(); }
}

// fn() again every `step` ms until it gives a truthy value or `ms` have passed: its last value.
export async function waitFor(fn, ms = 8000, step = 100) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) return v;
    await new Promise((r) => setTimeout(r, step));
  }
}

// Polls until every usage-threshold check the clock owes has run: each queued check
// (progressive_check) leaves the store in the transaction of its job, with its invoice or
// none. For asserting that a tick issued nothing, without sleeping for ticks. Fails after `ms`,
// naming how many are still queued.
export async function progressiveChecksRun(db, ms = 30000) {
  const left = () => {
    const r = sqlQuery(db.path ?? db, "SELECT count(*) FROM docs WHERE kind = 'progressive_check'");
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const done = await waitFor(async () => left() === '0', ms);
  assert.ok(done, `usage-threshold checks still queued after ${ms} ms: ${left()}`);
}

// One request; resolves {status, body (parsed JSON or null), text, headers}. The response is
// checked against Lago's OpenAPI document for its path, method and status (openapi.mjs):
// a response Lago would not give throws, failing the test that made the request.
export async function call(base, method, path, { body, key = API_KEY, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (key !== null) h.Authorization = `Bearer ${key}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  if (parsed === null && text !== 'null') throw new Error(`${method} ${path}: ${res.status}, not JSON: ${text.slice(0, 200)}`);
  validator().check(method, path, res.status, parsed);
  return { status: res.status, body: parsed, text, headers: res.headers };
}

// A fetch for Lago's own client (Client(key, {customFetch: lagoFetch(base)})): every answer
// is checked as call() checks it, then handed to the client unchanged.
export function lagoFetch(base) {
  return async (input, init = {}) => {
    const res = await fetch(input, init);
    const text = await res.text();
    const url = new URL(typeof input === 'string' ? input : input.url);
    if (!url.href.startsWith(base)) throw new Error(`lagoFetch: ${url.href} is not on ${base}`);
    const method = init.method ?? (typeof input === 'string' ? 'GET' : input.method);
    let parsed;
    try { parsed = JSON.parse(text); } catch { throw new Error(`${method} ${url.pathname}: ${res.status}, not JSON`); }
    validator().check(method, url.pathname, res.status, parsed);
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

// How many responses this process checked against Lago's OpenAPI, and per schema.
export const openapiStats = () => validator().stats;

// The native CLI on a snapshot: {status: exit code, stdout}.
export function runCli(operation, snapshot) {
  const r = spawnSync(cliBin, [operation, '-'], {
    input: typeof snapshot === 'string' ? snapshot : JSON.stringify(snapshot),
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout.trimEnd() };
}

// The texts of GET `paths` joined: what a refused request must leave unchanged.
export async function storedState(base, paths) {
  const parts = [];
  for (const p of paths) {
    const r = await call(base, 'GET', p);
    if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.text}`);
    parts.push(r.text);
  }
  return parts.join('\n');
}

/** A call that must succeed (2xx, or exactly `status` when given): its body; otherwise the
 * assertion names the method, path, status and answer. */
export async function ok(base, method, path, body, status) {
  const r = await call(base, method, path, { body });
  if (status === undefined) assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  else assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
  return r.body;
}

// Every invoice of the store, page after page (1,000 a page).
export async function allInvoices(base) {
  const invoices = [];
  for (let page = 1; ; page++) {
    const r = await ok(base, 'GET', `/api/v1/invoices?per_page=1000&page=${page}`);
    invoices.push(...r.invoices);
    if (r.meta.next_page === null) return invoices;
  }
}

// The integration catalog (catalog.mjs) on a server: organization, tax, metrics, plan, the
// coupon when asked, the customer (`customer` replaces its document), the subscription, and
// the catalog's events unless events is false. Each call must succeed (ok(): 2xx, or exactly
// `status`).
export async function postCatalog(base, { customer = catalog.customer, coupon = false, events = true, status } = {}) {
  const post = (path, body) => ok(base, 'POST', path, body, status);
  await ok(base, 'PUT', '/api/v1/organizations', catalog.organization, status);
  await post('/api/v1/taxes', catalog.tax);
  for (const m of catalog.metrics) await post('/api/v1/billable_metrics', m);
  await post('/api/v1/plans', catalog.plan);
  if (coupon) await post('/api/v1/coupons', catalog.coupon);
  await post('/api/v1/customers', customer);
  await post('/api/v1/subscriptions', catalog.subscription);
  if (events) await post('/api/v1/events/batch', { events: catalog.events });
}

// The catalog of examples/impact/ on a server (each call answered exactly 200): a UTC
// organization in USD, the api_calls metric (sum of `calls`) and `plans`.
export async function postImpactCatalog(base, plans) {
  await ok(base, 'PUT', '/api/v1/organizations', { organization: { timezone: 'UTC', default_currency: 'USD' } }, 200);
  await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { code: 'api_calls', name: 'API calls',
    aggregation_type: 'sum_agg', field_name: 'calls' } }, 200);
  for (const p of plans) await ok(base, 'POST', '/api/v1/plans', { plan: p }, 200);
}

// A server at `now` on a fresh store holding examples/impact's catalog with `plans`: {srv, db}.
export async function startImpactServer(now, plans) {
  const db = tempDb();
  let srv;
  try {
    srv = await startServer({ db: db.path, args: ['--now', now] });
    await postImpactCatalog(srv.base, plans);
    return { srv, db };
  } catch (e) {
    await srv?.stop();
    db.remove();
    throw e;
  }
}
