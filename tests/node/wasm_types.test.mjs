// The hand-written declarations (node/index.d.ts, index.d.cts) type-check the examples in
// node/examples/ (ESM and CommonJS usage, including an @ts-expect-error for a wrong type),
// and a deliberately wrong program is rejected, so the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
assert.ok(existsSync(TSC), 'typescript is not installed (npm ci, scripts/setup)');

test('npx tsc -p node/tsconfig.json --noEmit passes', { timeout: 120_000 }, () => {
  const r = spawnSync(TSC, ['-p', join(ROOT, 'node', 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a wrong use of the API is a type error', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(ROOT, 'node', 'examples', '.tmp-'));
  try {
    writeFileSync(join(dir, 'wrong.mts'), [
      "import { createTariff } from 'tariff-engine';",
      'const t = await createTariff();',
      "const cents: string = t.preview({ now: '2024-01-01T00:00:00Z' }).invoices[0].total_amount_cents;",
      'export { cents };', ''].join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json',
      files: ['../../index.d.ts', 'wrong.mts'] }));
    const r = spawnSync(TSC, ['-p', join(dir, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, 'tsc accepted a number assigned to a string');
    assert.match(r.stdout + r.stderr, /TS2322/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
