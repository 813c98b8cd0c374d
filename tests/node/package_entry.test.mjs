// The npm package's entry points inside the repository:
// require('<repo>/node'), import of '<repo>/node/index.mjs', and the workspace's own
// "exports" (`import 'tariff-workspace/node'`, Node's package self-reference), each in a
// fresh Node process, all giving the same answer for the same snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const snapshot = join(repo, 'examples', 'current_usage.json');

// The package looks only inside itself (dist/) unless told: in the repository the engine is
// build-wasm/ (TARIFF_WASM_DIR), whether or not `npm run build` copied it into node/dist/.
function run(args, input) {
  return execFileSync(process.execPath, args, { cwd: repo, input, encoding: 'utf8',
    env: { ...process.env, TARIFF_WASM_DIR: process.env.TARIFF_WASM_DIR ?? join(repo, 'build-wasm') } }).trim();
}

test('require, import and the workspace export reach the same engine', () => {
  const body = `const s = require('fs').readFileSync(${JSON.stringify(snapshot)}, 'utf8');`;
  const viaRequire = run(['-e', `${body} require(${JSON.stringify(join(repo, 'node'))}).createTariff().then(t => console.log(t.currentUsage(s).customer_usage.total_amount_cents))`]);
  const esm = (spec) => `import { readFileSync } from 'node:fs'; import { createTariff } from '${spec}';
    const t = await createTariff(); console.log(t.currentUsage(readFileSync(${JSON.stringify(snapshot)}, 'utf8')).customer_usage.total_amount_cents);`;
  const viaImport = run(['--input-type=module', '-e', esm(join(repo, 'node', 'index.mjs'))]);
  const viaExport = run(['--input-type=module', '-e', esm('tariff-workspace/node')]);
  // examples/current_usage.json worked by hand: 150 + 250 + 1500 + 3600 = 5500, 20 % VAT 1100 → 6600
  assert.equal(viaRequire, '6600');
  assert.equal(viaImport, '6600');
  assert.equal(viaExport, '6600');
});
