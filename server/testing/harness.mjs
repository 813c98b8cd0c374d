// Test and benchmark harness for tariff-server: start the real binary on a free loopback
// port with a temporary SQLite file, talk to it over HTTP, run the CLI on a snapshot.
// Used by tests/node/server_*.test.mjs and bench/server/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validator } from './openapi.mjs';

export { validator };

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const buildDir = resolve(root, process.env.TARIFF_BUILD_DIR ?? 'build');
export const serverBin = join(buildDir, 'tariff-server');
export const cliBin = join(buildDir, 'tariff');
export const API_KEY = 'test-key-0123456789';
// Lago's OpenAPI document, read and checked once per process before any request is timed.
validator();

export function tempDb() {
  const dir = mkdtempSync(join(tmpdir(), 'tariff-server-'));
  return { dir, path: join(dir, 'tariff.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

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
