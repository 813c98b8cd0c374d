// WASM / native time ratio per benchmark, from tariff_bench's JSON and wasm_bench.mjs's JSON.
//   node bench/compare.mjs build/bench/native.json build/bench/wasm.json
// Or measured here, both sides in one run (the ratio to quote from a shared machine):
//   node bench/compare.mjs --run [--rounds 3] [--min-time 0.5] [--build build] [--wasm-dir build-wasm[,other]]
//     [--filter re] [--out build/bench]
// --run: --rounds rounds, each running the native tariff_bench (3 repetitions of
// --min-time) and bench/wasm_bench.mjs (--repeat 3 of --min-time, after its warm-up to the
// steady state) over the same rows, the side that goes first rotating from round to round
// so that both see the same load; each row's time on each side is its best over every
// repetition of every round, wall and CPU time each on its own. The ratio is of CPU times
// (wall-clock ratios beside them): on a busy machine a process's wall time holds the time it
// waited for a core. Rows: the four operations at 1k and 10k events and current_usage per size
// (100k and 1M too when TARIFF_BENCH_LARGE_INPUTS names their directory, as bench/run.sh sets).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const toNs = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
const fmt = (ns) => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`;
if (argv[0] === '--run') {
  runBoth(Object.fromEntries(argv.slice(1).reduce((acc, a, i, all) =>
    (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])));
  process.exit(0);
}
const [nativeFile, wasmFile] = argv;
if (!nativeFile || !wasmFile) {
  console.error('usage: node bench/compare.mjs native.json wasm.json | --run [options]');
  process.exit(64);
}
const load = (f) => new Map(JSON.parse(readFileSync(f, 'utf8')).benchmarks
  .filter((b) => (b.run_type ?? 'iteration') === 'iteration')
  .map((b) => [b.name, { ns: b.real_time * toNs[b.time_unit ?? 'ns'], status: b.status ?? b.counters?.status }]));
const native = load(nativeFile);
const wasm = load(wasmFile);
const rows = [['benchmark', 'native', 'wasm (views)', 'ratio', 'wasm (embind strings)', 'ratio', 'status']];
for (const [name, n] of native) {
  const w = wasm.get(name);
  if (!w) continue;
  const e = wasm.get(`${name}/embind_strings`);
  rows.push([name, fmt(n.ns), fmt(w.ns), `${(w.ns / n.ns).toFixed(2)}×`, e ? fmt(e.ns) : '', e ? `${(e.ns / n.ns).toFixed(2)}×` : '',
    String(w.status ?? n.status ?? '')]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(rows.map((r, j) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |' +
  (j === 0 ? '\n|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|' : '')).join('\n'));

// Snapshot reading against simdjson's on-demand reader (bench/read_bench.cpp), CPU time.
const cpu = new Map(JSON.parse(readFileSync(nativeFile, 'utf8')).benchmarks
  .filter((b) => (b.run_type ?? 'iteration') === 'iteration')
  .map((b) => [b.name, { ns: b.cpu_time * toNs[b.time_unit ?? 'ns'], perEvent: b.ns_per_event }]));
const reads = [...cpu.keys()].filter((k) => k.startsWith('read/tariff/'));
if (reads.length) {
  console.log('\n| input | tariff read (CPU) | ns/event | simdjson on-demand (CPU) | ns/event | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const k of reads) {
    const input = k.slice('read/tariff/'.length);
    const t = cpu.get(k);
    const s = cpu.get(`read/simdjson_ondemand/${input}`);
    console.log(`| ${input} | ${fmt(t.ns)} | ${t.perEvent?.toFixed(0) ?? ''} | ${s ? fmt(s.ns) : 'n/a'} | ` +
      `${s?.perEvent?.toFixed(0) ?? ''} | ${s ? (t.ns / s.ns).toFixed(1) + '×' : ''} |`);
  }
}

function runBoth(opts) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const rounds = Number(opts.rounds ?? 3);
  const min = String(opts['min-time'] ?? '0.5');
  const build = opts.build ?? join(root, 'build');
  // Several comma-separated directories (e.g. a module built before a change, then after):
  // each measured in every round, in turn, and given its own columns.
  const wasmDirs = (opts['wasm-dir'] ?? join(root, 'build-wasm')).split(',');
  const out = opts.out ?? join(root, 'build', 'bench');
  const filter = opts.filter ?? '^(preview|current_usage|projected_usage|estimate_fees)/(events_|scale/)';
  mkdirSync(out, { recursive: true });
  const best = { native: new Map() };
  wasmDirs.forEach((_, i) => { best[`wasm${i}`] = new Map(); });
  const keep = (side, b) => {
    if ((b.run_type ?? 'iteration') !== 'iteration' || b.error_occurred) return;
    const unit = toNs[b.time_unit ?? 'ns'];
    const had = best[side].get(b.name);
    best[side].set(b.name, {
      real: Math.min(had?.real ?? Infinity, b.real_time * unit),
      cpu: Math.min(had?.cpu ?? Infinity, b.cpu_time * unit),
      status: b.status ?? b.counters?.status ?? had?.status,
    });
  };
  const native = () => JSON.parse(execFileSync(join(build, 'tariff_bench'), [`--benchmark_filter=${filter}`,
    `--benchmark_min_time=${min}`, '--benchmark_repetitions=3', '--benchmark_format=json'],
  { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] }).toString()).benchmarks.forEach((b) => keep('native', b));
  const wasm = (i) => JSON.parse(execFileSync(process.execPath, [join(root, 'bench', 'wasm_bench.mjs'),
    '--wasm-dir', wasmDirs[i], '--min-time', min, '--repeat', '3', '--filter', filter, '--strings', '0'],
  { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] }).toString()).benchmarks.forEach((b) => keep(`wasm${i}`, b));
  const sides = [native, ...wasmDirs.map((_, i) => () => wasm(i))];
  for (let r = 0; r < rounds; r++) {
    const t0 = Date.now();
    // Rotated: each side goes first in turn.
    for (let k = 0; k < sides.length; k++) sides[(r + k) % sides.length]();
    console.error(`round ${r + 1}/${rounds}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const label = (i) => (wasmDirs.length > 1 ? ` (${wasmDirs[i]})` : '');
  const head = ['benchmark', 'native CPU'];
  wasmDirs.forEach((_, i) => head.push(`WASM CPU${label(i)}`, `ratio (CPU)${label(i)}`));
  head.push('native wall');
  wasmDirs.forEach((_, i) => head.push(`WASM wall${label(i)}`, `ratio (wall)${label(i)}`));
  const rows = [head];
  const json = [];
  for (const [name, n] of best.native) {
    const ws = wasmDirs.map((_, i) => best[`wasm${i}`].get(name));
    if (ws.some((w) => !w)) continue;
    const row = [name, fmt(n.cpu)];
    ws.forEach((w) => row.push(fmt(w.cpu), `${(w.cpu / n.cpu).toFixed(2)}×`));
    row.push(fmt(n.real));
    ws.forEach((w) => row.push(fmt(w.real), `${(w.real / n.real).toFixed(2)}×`));
    rows.push(row);
    json.push({ name, native_cpu_ns: n.cpu, native_real_ns: n.real, status: ws[0].status ?? n.status,
      wasm: ws.map((w, i) => ({ dir: wasmDirs[i], cpu_ns: w.cpu, real_ns: w.real, ratio_cpu: w.cpu / n.cpu,
        ratio_real: w.real / n.real })) });
  }
  writeFileSync(join(out, 'compare.json'), JSON.stringify({ rounds, min_time: Number(min), rows: json }, null, 2));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r, j) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |' +
    (j === 0 ? '\n|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|' : '')).join('\n'));
}
