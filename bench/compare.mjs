// WASM / native time ratio per benchmark, from tariff_bench's JSON and wasm_bench.mjs's JSON.
//   node bench/compare.mjs build/bench/native.json build/bench/wasm.json
import { readFileSync } from 'node:fs';

const [nativeFile, wasmFile] = process.argv.slice(2);
if (!nativeFile || !wasmFile) {
  console.error('usage: node bench/compare.mjs native.json wasm.json');
  process.exit(64);
}
const toNs = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
const load = (f) => new Map(JSON.parse(readFileSync(f, 'utf8')).benchmarks
  .filter((b) => (b.run_type ?? 'iteration') === 'iteration')
  .map((b) => [b.name, { ns: b.real_time * toNs[b.time_unit ?? 'ns'], status: b.status ?? b.counters?.status }]));
const native = load(nativeFile);
const wasm = load(wasmFile);
const fmt = (ns) => ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`;
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
