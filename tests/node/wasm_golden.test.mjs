// The WASM module against the native CLI, byte for byte (CONTRACT §3): every golden case
// (tests/golden/<operation>/**/<case>.json), the shared example and benchmark snapshots and a
// few hostile inputs go through both; any difference in status or in a single byte fails.
// Then the JS surface: TariffError mapping, object vs string input, fast vs embind path, and a
// 100,000-call leak check (malloc's live bytes and the memory size must stay flat).
//
// Native CLI: $TARIFF_CLI or build/tariff. WASM: $TARIFF_WASM_DIR or build-wasm/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTariff, TariffError } from '../../node/index.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = process.env.TARIFF_CLI ?? join(ROOT, 'build', 'tariff');
const WASM_DIR = process.env.TARIFF_WASM_DIR ?? join(ROOT, 'build-wasm');
const OPERATIONS = ['preview', 'current_usage', 'projected_usage', 'estimate_fees', 'bill', 'lifetime_usage', 'compare_plans'];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.json') ? [p] : [];
  });
}

/** The CLI's answer: exit 0 → 200, exit 2 → the error document's status. */
function cli(operation, text) {
  const r = spawnSync(CLI, [operation, '-'], { input: text, maxBuffer: 1 << 28 });
  assert.ok(r.status === 0 || r.status === 2,
    `CLI exit ${r.status} for ${operation}: ${r.stderr}`);
  const out = r.stdout.toString('utf8');
  assert.ok(out.endsWith('\n'), 'CLI output ends with a newline');
  return { exit: r.status, body: out.slice(0, -1) };
}

function compare(t, operation, text, label) {
  const native = cli(operation, text);
  const wasm = t.run(operation, text);
  assert.equal(wasm.status === 200 ? 0 : 2, native.exit, `${label}: status ${wasm.status} vs exit ${native.exit}`);
  if (wasm.body !== native.body) {
    let i = 0;
    while (i < wasm.body.length && wasm.body[i] === native.body[i]) i++;
    assert.fail(`${label}: first difference at byte ${i}\n native: ${native.body.slice(i, i + 160)}` +
      `\n wasm:   ${wasm.body.slice(i, i + 160)}`);
  }
  return wasm;
}

// Both builds are required: a missing one fails the file (scripts/build makes them).
assert.ok(existsSync(CLI), `the native CLI ${CLI} is missing (scripts/build)`);
assert.ok(existsSync(join(WASM_DIR, 'tariff.wasm')), `${WASM_DIR}/tariff.wasm is missing (scripts/build wasm)`);
const tariff = await createTariff({ wasmDir: WASM_DIR });

const GOLDEN = join(ROOT, 'tests', 'golden');
const goldenFiles = walk(GOLDEN).sort();

test('golden corpus: WASM and native CLI answer the same bytes', async (t) => {
  assert.ok(goldenFiles.length > 0, 'no golden cases found under tests/golden');
  for (const file of goldenFiles) {
    const rel = relative(GOLDEN, file);
    const operation = rel.split(sep)[0];
    if (!OPERATIONS.includes(operation)) continue;
    const kase = JSON.parse(readFileSync(file, 'utf8'));
    const text = typeof kase.snapshot === 'string' ? kase.snapshot : JSON.stringify(kase.snapshot);
    await t.test(rel, () => {
      const wasm = compare(tariff, operation, text, rel);
      // The error cases must fail on both sides, the others succeed.
      if ('error' in kase && !('expected' in kase)) assert.notEqual(wasm.status, 200, `${rel} should fail`);
    });
  }
});

test('examples, benchmark inputs and hostile input: same bytes on all four operations', async (t) => {
  const inputs = [
    ...walk(join(ROOT, 'examples')).map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]),
    ...walk(join(ROOT, 'bench', 'inputs')).map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]),
    ['malformed', '{"now": '],
    ['empty', ''],
    ['array', '[1,2,3]'],
    ['deep', '['.repeat(5000) + ']'.repeat(5000)],
    ['utf8', JSON.stringify({ now: '2024-03-15T12:00:00Z', customer: { name: 'Zoë Ünïcode 日本 🚀' } })],
    ['nul byte', '{"now":"2024-03-15T12:00:00Z"}\u0000'],
  ];
  for (const [label, text] of inputs) {
    for (const operation of OPERATIONS) {
      await t.test(`${label} / ${operation}`, () => { compare(tariff, operation, text, `${label} ${operation}`); });
    }
  }
});

test('errors map to TariffError with the document', () => {
  assert.throws(() => tariff.preview('{"now": '), (e) => {
    assert.ok(e instanceof TariffError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'TariffError');
    assert.equal(e.status, 400);
    assert.equal(e.code, 'bad_request');
    assert.deepEqual(e.details, { body: ['malformed_json'] });
    assert.deepEqual(e.document, { status: 400, error: 'Bad Request', code: 'bad_request',
      error_details: { body: ['malformed_json'] } });
    return true;
  });
  // A JSON array is not a snapshot: 422 at the path "snapshot".
  assert.throws(() => tariff.currentUsage('[]'), (e) => e instanceof TariffError &&
    e.status === 422 && e.code === 'validation_errors' && e.details.snapshot?.[0] === 'invalid_type');
  for (const bad of [null, 42, undefined, true]) {
    assert.throws(() => tariff.preview(bad), TypeError);
  }
  // Every method throws on error with the same document as run().
  for (const [method, operation] of [['preview', 'preview'], ['currentUsage', 'current_usage'],
    ['projectedUsage', 'projected_usage'], ['estimateFees', 'estimate_fees'], ['comparePlans', 'compare_plans'], ['lifetimeUsage', 'lifetime_usage']]) {
    const raw = tariff.run(operation, '{}');
    if (raw.status === 200) {
      assert.deepEqual(tariff[method]('{}'), JSON.parse(raw.body));
    } else {
      assert.throws(() => tariff[method]('{}'), (e) => e instanceof TariffError &&
        e.status === raw.status && JSON.stringify(e.document) === raw.body);
    }
  }
});

test('the CommonJS entry is the same package (one TariffError class)', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)(join(ROOT, 'node'));
  assert.equal(cjs.TariffError, TariffError);
  const t2 = await cjs.createTariff({ wasmDir: WASM_DIR });
  assert.deepEqual(t2.run('preview', '{"now":1}'), tariff.run('preview', '{"now":1}'));
});

function portal() {
  const file = join(ROOT, 'examples', 'portal.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { now: '2024-03-15T12:00:00Z' };
}

test('object and string input give the same answer; fast and embind paths agree', async () => {
  const slow = await createTariff({ wasmDir: WASM_DIR, fastPath: false });
  const snapshot = portal();
  const text = JSON.stringify(snapshot);
  const spaced = JSON.stringify(snapshot, null, 2);
  for (const operation of OPERATIONS) {
    const a = tariff.run(operation, snapshot);
    assert.deepEqual(tariff.run(operation, text), a);
    assert.deepEqual(tariff.run(operation, spaced), a, 'whitespace does not matter');
    assert.deepEqual(slow.run(operation, text), a);
    // Non-ASCII text crosses both paths intact.
    const named = { ...snapshot, customer: { ...(snapshot.customer ?? {}), name: 'Zoë 日本 🚀' } };
    assert.deepEqual(slow.run(operation, named), tariff.run(operation, named));
  }
});

test('UTF-8 bytes as input, and non-ASCII text longer than the input buffer: the same answers', async () => {
  const t = await createTariff({ wasmDir: WASM_DIR });
  const slow = await createTariff({ wasmDir: WASM_DIR, fastPath: false });
  const snapshot = portal();
  const name = 'Zoë 日本 🚀 '.repeat(20_000);
  const text = JSON.stringify({ ...snapshot, customer: { ...(snapshot.customer ?? {}), name } });
  // More UTF-8 bytes than UTF-16 units: the first encoding attempt runs out of room.
  assert.ok(Buffer.byteLength(text) > text.length + 100_000);
  for (const operation of OPERATIONS) {
    const expected = slow.run(operation, text);
    assert.deepEqual(t.run(operation, text), expected, operation);
    assert.deepEqual(t.run(operation, Buffer.from(text)), expected, `${operation}, Buffer`);
    assert.deepEqual(t.run(operation, new TextEncoder().encode(text)), expected, `${operation}, Uint8Array`);
  }
  // The preview echoes the customer: the name comes back intact.
  assert.ok(t.run('preview', Buffer.from(text)).body.includes(JSON.stringify(name)));
});

test('100,000 calls leak nothing (malloc live bytes and memory size stay flat)', { timeout: 180_000 }, async (ctx) => {
  const snapshot = portal();
  const text = JSON.stringify(snapshot);
  const t = await createTariff({ wasmDir: WASM_DIR });
  const ops = ['preview', 'current_usage', 'projected_usage', 'estimate_fees'];
  for (let i = 0; i < 1000; i++) t.run(ops[i % 4], text);   // warm up: buffers at full size
  const heap0 = t.heapUsedBytes();
  const mem0 = t.memoryBytes();
  const start = process.hrtime.bigint();
  let statuses = new Set();
  for (let i = 0; i < 100_000; i++) statuses.add(t.run(ops[i % 4], i % 2 ? text : snapshot).status);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  t.run('preview', '{bad');   // the error path too
  ctx.diagnostic(`100k calls in ${seconds.toFixed(1)} s; statuses ${[...statuses]}; heap ${heap0} → ` +
    `${t.heapUsedBytes()} bytes; memory ${mem0} → ${t.memoryBytes()} bytes`);
  assert.equal(t.memoryBytes(), mem0, 'wasm memory grew');
  // The output buffer keeps the capacity of the largest answer; allow that, nothing per call.
  assert.ok(Math.abs(t.heapUsedBytes() - heap0) <= 64 * 1024,
    `malloc live bytes moved from ${heap0} to ${t.heapUsedBytes()}`);
  // The embind string path, 20,000 calls.
  const s = await createTariff({ wasmDir: WASM_DIR, fastPath: false });
  for (let i = 0; i < 200; i++) s.run(ops[i % 4], text);
  const sh0 = s.heapUsedBytes();
  const sm0 = s.memoryBytes();
  for (let i = 0; i < 20_000; i++) s.run(ops[i % 4], text);
  assert.equal(s.memoryBytes(), sm0);
  assert.ok(Math.abs(s.heapUsedBytes() - sh0) <= 64 * 1024, `embind path: ${sh0} → ${s.heapUsedBytes()}`);
});
