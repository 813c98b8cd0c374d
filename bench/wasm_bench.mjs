// WASM benchmarks of the four operations over bench/inputs/*.json, named as the native
// tariff_bench names them. Per benchmark: 20 warm-up calls, then loops of at least
// --min-time seconds (default 0.5) timed with process.hrtime.bigint(); best of --repeat (3).
// Prints Google-Benchmark-like JSON on stdout; also module instantiation time and the time
// of the embind string path vs the memory-view path.
//   node bench/wasm_bench.mjs [--wasm-dir build-wasm] [--min-time 0.5] [--repeat 3] [--filter re]
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createTariff } from '../node/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const wasmDir = args['wasm-dir'] ?? process.env.TARIFF_WASM_DIR ?? join(HERE, '..', 'build-wasm');
const minTime = Number(args['min-time'] ?? 0.5);
const repeat = Number(args.repeat ?? 3);
const filter = new RegExp(args.filter ?? '.');

// Instantiation: compile + instantiate + bind, from bytes already read (median of 5).
const inst = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await createTariff({ wasmDir });
  inst.push(performance.now() - t0);
}
inst.sort((a, b) => a - b);

function measure(fn) {
  for (let i = 0; i < 20; i++) fn();
  let best = Infinity;
  let iterations = 0;
  for (let r = 0; r < repeat; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    const budget = BigInt(Math.round(minTime * 1e9));
    while (elapsed < budget) {
      fn();
      n++;
      elapsed = process.hrtime.bigint() - start;
    }
    const per = Number(elapsed) / n;
    if (per < best) { best = per; iterations = n; }
  }
  return { real_time: best, iterations };
}

const fast = await createTariff({ wasmDir });
const slow = await createTariff({ wasmDir, fastPath: false });
const inputs = readdirSync(join(HERE, 'inputs')).filter((f) => f.endsWith('.json')).sort(
  (a, b) => a.length - b.length || a.localeCompare(b));
const benchmarks = [];
for (const file of inputs) {
  const text = readFileSync(join(HERE, 'inputs', file), 'utf8');
  const input = file.replace(/\.json$/, '');
  for (const op of ['preview', 'current_usage', 'projected_usage', 'estimate_fees']) {
    const name = `${op}/${input}`;
    if (!filter.test(name)) continue;
    const status = fast.run(op, text).status;
    const m = measure(() => fast.run(op, text));
    benchmarks.push({ name, run_type: 'iteration', iterations: m.iterations, real_time: m.real_time,
      cpu_time: m.real_time, time_unit: 'ns', status, bytes: Buffer.byteLength(text) });
    const e = measure(() => slow.run(op, text));
    benchmarks.push({ name: `${name}/embind_strings`, run_type: 'iteration', iterations: e.iterations,
      real_time: e.real_time, cpu_time: e.real_time, time_unit: 'ns', status });
  }
}

console.log(JSON.stringify({
  context: { date: new Date().toISOString(), executable: 'node ' + process.version, wasm_dir: wasmDir,
    instantiate_ms_median: inst[2], instantiate_ms_min: inst[0] },
  benchmarks,
}, null, 2));
