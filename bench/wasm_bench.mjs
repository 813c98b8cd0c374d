// WASM benchmarks of the four operations over bench/inputs/*.json, named as the native
// tariff_bench names them. V8 runs a new module's code first in its baseline tier (Liftoff)
// and optimises each function (TurboFan) once it is hot, in the background: the steady state
// is what the native figures compare to: all operations first run for --warmup seconds of CPU
// time (default 3), then each benchmark warms up (20 calls, then until its time per call stops
// falling) before loops of at least --min-time seconds (default 0.5),
// timed with process.hrtime.bigint(); best of --repeat (3) (wall and CPU time each its own best). The cost of a cold start is
// reported apart: compiling the module, instantiating a compiled one, and each benchmark's
// first call (first_call_ns; the first benchmark's runs on baseline code).
// Prints Google-Benchmark-like JSON on stdout; also the time of the embind string path vs the
// memory-view path.
//   node bench/wasm_bench.mjs [--wasm-dir build-wasm] [--min-time 0.5] [--warmup 3] [--repeat 3] [--filter re]
//     [--strings 0]  (no embind-string rows)
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
const warmup = Number(args.warmup ?? 3);
const repeat = Number(args.repeat ?? 3);
const filter = new RegExp(args.filter ?? '.');
const strings = (args.strings ?? '1') !== '0';  // --strings 0: no embind-string rows
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Start-up. The first createTariff reads, compiles and instantiates; the package keeps the
// compiled module, so later ones only instantiate. Compiling alone: median of 5.
let t0 = performance.now();
await createTariff({ wasmDir });
const createFirst = performance.now() - t0;
const bytes = readFileSync(join(wasmDir, 'tariff.wasm'));
const compile = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  await WebAssembly.compile(bytes);
  compile.push(performance.now() - t0);
}
const inst = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  await createTariff({ wasmDir });
  inst.push(performance.now() - t0);
}

const cpuNs = () => { const c = process.cpuUsage(); return (c.user + c.system) * 1e3; };

// Until the time per call stops falling: batches of at least 25 ms of CPU time, done when six
// in a row have not beaten the best by 2 % (at most 60 s).
function warm(fn) {
  const start = process.hrtime.bigint();
  let best = Infinity;
  let stale = 0;
  while (stale < 6 && process.hrtime.bigint() - start < 60_000_000_000n) {
    const c0 = cpuNs();
    let n = 0;
    do { fn(); n++; } while (n < 3 || cpuNs() - c0 < 25e6);
    const per = (cpuNs() - c0) / n;
    if (per < best * 0.98) { best = per; stale = 0; } else stale++;
  }
}

function measure(fn) {
  const first = process.hrtime.bigint();
  fn();
  const firstCall = Number(process.hrtime.bigint() - first);
  for (let i = 1; i < 20; i++) fn();
  warm(fn);
  let best = Infinity;
  let bestCpu = Infinity;
  let iterations = 0;
  for (let r = 0; r < repeat; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let elapsed = 0n;
    const budget = BigInt(Math.round(minTime * 1e9));
    while (elapsed < budget) {
      fn();
      n++;
      elapsed = process.hrtime.bigint() - start;
    }
    const cpu = process.cpuUsage(cpu0);
    const per = Number(elapsed) / n;
    // Each the best of the rounds on its own, as bench/compare.mjs takes native's.
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) * 1e3 / n);
    if (per < best) { best = per; iterations = n; }
  }
  return { real_time: best, cpu_time: bestCpu, iterations, first_call_ns: firstCall };
}

const fast = await createTariff({ wasmDir });
const slow = await createTariff({ wasmDir, fastPath: false });
const inputs = readdirSync(join(HERE, 'inputs')).filter((f) => f.endsWith('.json')).sort(
  (a, b) => a.length - b.length || a.localeCompare(b));
// V8 optimises a function once it has run enough in the baseline tier, whose code is several
// times slower: a steady time per call can be the baseline's. So first every operation runs in
// turn on the smallest input for --warmup seconds of CPU time (busy machine: as much work).
const ops = ['preview', 'current_usage', 'projected_usage', 'estimate_fees'];
{
  const text = readFileSync(join(HERE, 'inputs', inputs[0]), 'utf8');
  const c0 = cpuNs();
  while (cpuNs() - c0 < warmup * 1e9) for (const op of ops) fast.run(op, text);
}
const benchmarks = [];
for (const file of inputs) {
  const text = readFileSync(join(HERE, 'inputs', file), 'utf8');
  const input = file.replace(/\.json$/, '');
  for (const op of ops) {
    const name = `${op}/${input}`;
    if (!filter.test(name)) continue;
    const m = measure(() => fast.run(op, text));
    const status = fast.run(op, text).status;
    benchmarks.push({ name, run_type: 'iteration', iterations: m.iterations, real_time: m.real_time,
      cpu_time: m.cpu_time, time_unit: 'ns', status, bytes: Buffer.byteLength(text), first_call_ns: m.first_call_ns });
    if (!strings) continue;
    const e = measure(() => slow.run(op, text));
    benchmarks.push({ name: `${name}/embind_strings`, run_type: 'iteration', iterations: e.iterations,
      real_time: e.real_time, cpu_time: e.cpu_time, time_unit: 'ns', status });
  }
}

// current_usage per size, named as bench/read_bench.cpp names it ("current_usage/scale/events_1m"):
// bench/inputs/ and, when TARIFF_BENCH_LARGE_INPUTS names a directory, its events_100k.json and
// events_1m.json (node bench/make_inputs.mjs --out DIR --sizes 100k,1m). The large ones: one
// call to warm up, then --repeat repetitions of at least 3 calls and --min-time seconds, each
// the mean of its calls, the best repetition kept (as tariff_bench's --benchmark_repetitions,
// of which bench/compare.mjs keeps the best).
const scale = inputs.map((f) => [f.replace(/\.json$/, ''), join(HERE, 'inputs', f)]);
if (process.env.TARIFF_BENCH_LARGE_INPUTS) {
  for (const label of ['events_100k', 'events_1m']) {
    scale.push([label, join(process.env.TARIFF_BENCH_LARGE_INPUTS, `${label}.json`)]);
  }
}
for (const [label, file] of scale) {
  const name = `current_usage/scale/${label}`;
  if (!filter.test(name)) continue;
  const text = readFileSync(file, 'utf8');
  let m;
  if (text.length < 4e6) {
    m = measure(() => fast.run('current_usage', text));
  } else {
    const t0 = process.hrtime.bigint();
    fast.run('current_usage', text);
    const first = Number(process.hrtime.bigint() - t0);
    m = { real_time: Infinity, cpu_time: Infinity, iterations: 0, first_call_ns: first };
    for (let r = 0; r < repeat; r++) {
      const start = process.hrtime.bigint();
      const cpu0 = cpuNs();
      let n = 0;
      while (n < 3 || Number(process.hrtime.bigint() - start) < minTime * 1e9) { fast.run('current_usage', text); n++; }
      const real = Number(process.hrtime.bigint() - start) / n;
      m.cpu_time = Math.min(m.cpu_time, (cpuNs() - cpu0) / n);
      if (real < m.real_time) { m.real_time = real; m.iterations = n; }
    }
  }
  const status = fast.run('current_usage', text).status;
  benchmarks.push({ name, run_type: 'iteration', iterations: m.iterations, real_time: m.real_time,
    cpu_time: m.cpu_time, time_unit: 'ns', status, bytes: Buffer.byteLength(text), first_call_ns: m.first_call_ns,
    memory_bytes: fast.memoryBytes() });
}

console.log(JSON.stringify({
  context: { date: new Date().toISOString(), executable: 'node ' + process.version, wasm_dir: wasmDir,
    create_first_ms: createFirst, compile_ms_median: median(compile),
    instantiate_ms_median: median(inst), instantiate_ms_min: Math.min(...inst), warmup_s: warmup },
  benchmarks,
}, null, 2));
