// Custom-expression metrics (SEMANTICS §2.7): tariff's compiled expressions against Lago's own
// evaluator, `lago-expression` (npm, Rust compiled to WASM), in the same Node process.
//
//   lago-expression: parseExpression() before the clock (its JS API consumes an Expression
//     on evaluation, so one is parsed per event, untimed), then evaluateExpression(expr,
//     code, timestamp, properties) per event, timed;
//   tariff (WASM, build-wasm/): current_usage over N events of a count_agg metric with the
//     expression, minus current_usage over the very same input without the `expression`
//     member (the two differ by nothing else), divided by N: what applying the expression
//     adds per event inside a real calculation, i.e. reading its inputs, evaluating it
//     exactly and storing its result. The count does not read the result, so the figure
//     holds none of the aggregation's work (nor does lago-expression's); the time to
//     evaluate and store is the same whatever the aggregation.
// Exactness: the same events with the metric's own aggregation (sum or unique count) must give
// the usage of a snapshot whose events carry lago-expression's results under field_name
// (the metric without expression): the run fails otherwise. Times are this process's CPU
// time. Best of --repeat (5) rounds for lago-expression; for tariff, the median of --rounds
// (31) differences, each from four runs in the order base, expression, expression, base,
// with the quartiles beside it; a difference that is not above zero is reported as noise,
// signed, never clamped, and gets no ratio.
// Direct (the headline ratio): build-wasm/tariff_expression_bench.mjs (bindings/wasm/
// expression_bench.cpp, built with `cmake --build build-wasm --target tariff_expression_bench`)
// applies the expression to the snapshot's N events --reps (50) times in one call, exactly as
// reading a snapshot applies it; minus the same call applying it 0 times, divided by reps × N.
//   node bench/expression_bench.mjs [--wasm-dir build-wasm] [--events 10000] [--repeat 5] [--rounds 31] [--reps 50]
//     [--dump DIR] [--only arith,nested]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTariff } from '../node/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const wasmDir = args['wasm-dir'] ?? process.env.TARIFF_WASM_DIR ?? join(HERE, '..', 'build-wasm');
const N = Number(args.events ?? 10000);
const REPEAT = Number(args.repeat ?? 5);
const ROUNDS = Number(args.rounds ?? 31);
const REPS = Number(args.reps ?? 50);

// lago-expression is built for bundlers (it imports its .wasm as a module): instantiate it here.
async function lagoExpression() {
  const require = createRequire(import.meta.url);
  const js = require.resolve('lago-expression/index_bg.js');
  const bg = await import(js);
  const bytes = readFileSync(join(dirname(js), 'index_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './index_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

const EXPRESSIONS = [
  { name: 'round', source: 'round(event.properties.duration / 60, 2)', aggregation: 'sum_agg' },
  { name: 'arith', source: 'event.properties.a * event.properties.b + 1', aggregation: 'sum_agg' },
  { name: 'concat', source: "concat(event.properties.region, '-', event.code)", aggregation: 'unique_count_agg' },
  // A product of two decimals (scale 1 × scale 2), and functions nested over a quotient that
  // does not terminate (duration / 60 at 18 places, rounded back to 2).
  { name: 'decimal_product', source: 'event.properties.duration * event.properties.b', aggregation: 'sum_agg' },
  { name: 'nested', source: 'round(greatest(event.properties.a, event.properties.b) * 1.15 + least(event.properties.duration / 60, 10), 2)',
    aggregation: 'sum_agg' },
];
const TS = 1709856000;  // 2024-03-08T00:00:00Z
const properties = (i) => ({ duration: `${60 + (i % 977)}.${i % 10}`, a: String(1 + (i % 13)),
  b: `${i % 7}.25`, region: ['eu', 'us', 'ap'][i % 3] });

function snapshot(x, events, withExpression) {
  return {
    now: '2024-03-15T12:00:00Z',
    organization: { timezone: 'UTC', default_currency: 'USD' },
    billable_metrics: [{ code: 'calls', name: 'Calls', aggregation_type: x.aggregation, field_name: 'value',
      ...(withExpression ? { expression: x.source } : {}) }],
    plans: [{ code: 'p', name: 'P', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
      pay_in_advance: false, charges: [{ billable_metric_code: 'calls', charge_model: 'standard',
        properties: { amount: '1' } }] }],
    customer: { external_id: 'c', currency: 'USD' },
    subscriptions: [{ external_id: 's', external_customer_id: 'c', plan_code: 'p', billing_time: 'calendar',
      subscription_at: '2024-01-01T00:00:00Z', started_at: '2024-01-01T00:00:00Z', status: 'active' }],
    events,
    request: { external_subscription_id: 's' },
  };
}

// lago-expression hands a number back as a JS double: its text at 15 significant digits is
// the decimal it computed (these results have at most 8).
const text = (v) => (typeof v === 'number' ? String(Number(v.toPrecision(15))) : String(v));

// CPU time of this process (user + system) in ns: steadier than wall time on a shared machine.
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
function best1(fn) {
  const t0 = cpuNs();
  fn();
  return cpuNs() - t0;
}

const lago = await lagoExpression();
const tariff = await createTariff({ wasmDir });
// The direct measurement's module (bindings/wasm/expression_bench.cpp): same engine, same flags.
const benchJs = join(wasmDir, 'tariff_expression_bench.mjs');
if (!existsSync(benchJs)) {
  console.error(`${benchJs} is missing: cmake --build ${wasmDir} --target tariff_expression_bench`);
  process.exit(1);
}
const direct = await (await import(pathToFileURL(benchJs).href)).default(
  { wasmBinary: readFileSync(join(wasmDir, 'tariff_expression_bench.wasm')) });
const rows = [];
const only = args.only ? new Set(args.only.split(',')) : null;  // --only arith,nested
for (const x of EXPRESSIONS.filter((e) => !only || only.has(e.name))) {
  const props = Array.from({ length: N }, (_, i) => properties(i));
  // lago-expression, per event, on expressions parsed before the clock.
  let results = [];
  let evalOnly = Infinity;
  for (let r = 0; r <= REPEAT; r++) {  // the first round warms up
    const parsed = props.map(() => lago.parseExpression(x.source));
    const out = new Array(N);
    const t0 = cpuNs();
    for (let i = 0; i < N; i++) out[i] = lago.evaluateExpression(parsed[i], 'calls', BigInt(TS), props[i]);
    if (r > 0) evalOnly = Math.min(evalOnly, (cpuNs() - t0) / N);
    results = out;
  }
  const event = (i, p) => ({ transaction_id: `t${i}`, external_subscription_id: 's', code: 'calls',
    timestamp: TS + (i % 600), properties: p });
  // Same instant for every event in lago's call above: timestamp does not enter these expressions.
  const withExpr = JSON.stringify(snapshot(x, props.map((p, i) => event(i, p)), true));
  const precomputed = JSON.stringify(snapshot(x, props.map((p, i) => event(i, { ...p, value: text(results[i]) })), false));
  const counted = { ...x, aggregation: 'count_agg' };
  const timedExpr = JSON.stringify(snapshot(counted, props.map((p, i) => event(i, p)), true));
  const timedBase = JSON.stringify(snapshot(counted, props.map((p, i) => event(i, p)), false));
  if (args.dump) {  // the snapshots, for a native run (build/tariff current_usage FILE)
    writeFileSync(join(args.dump, `expression_${x.name}.json`), withExpr);
    writeFileSync(join(args.dump, `expression_${x.name}_precomputed.json`), precomputed);
    writeFileSync(join(args.dump, `expression_${x.name}_count.json`), timedExpr);
    writeFileSync(join(args.dump, `expression_${x.name}_count_base.json`), timedBase);
  }
  const a = tariff.run('current_usage', withExpr);
  const b = tariff.run('current_usage', precomputed);
  const units = (r) => JSON.parse(r.body).customer_usage?.charges_usage?.[0]?.units;
  if (a.status !== 200 || b.status !== 200 || units(a) !== units(b))
    throw new Error(`${x.name}: tariff ${a.status} ${units(a)} vs lago-expression's values ${b.status} ${units(b)}: ${a.body.slice(0, 300)}`);
  const c = tariff.run('current_usage', timedExpr);
  const d = tariff.run('current_usage', timedBase);
  if (c.status !== 200 || d.status !== 200 || units(c) !== `${N}.0` || units(d) !== `${N}.0`)
    throw new Error(`${x.name}: count ${c.status} ${units(c)}, without expression ${d.status} ${units(d)}`);
  // Direct: the expression applied REPS times to each of the N events of the snapshot in one
  // call, minus the same call applying it 0 times (reading the snapshot alone), alternated;
  // best of each over --repeat rounds after a warm-up round.
  if (direct.applyExpressions(withExpr, 1) !== N) throw new Error(`${x.name}: direct module did not apply ${N} events`);
  let dAll = Infinity, dNone = Infinity;
  for (let r = 0; r <= REPEAT; r++) {
    const n0 = best1(() => direct.applyExpressions(withExpr, 0));
    const n1 = best1(() => direct.applyExpressions(withExpr, REPS));
    if (r > 0) { dNone = Math.min(dNone, n0); dAll = Math.min(dAll, n1); }
  }
  const directNs = (dAll - dNone) / (REPS * N);

  // Rounds of four runs in the order base, expression, expression, base (a drift in the
  // machine's load over a round cancels out); a round's difference is the mean of the two
  // expression runs minus the mean of the two base runs. The per-event cost is the median of
  // the rounds' differences; the quartiles say how noisy it is. A median at or below zero,
  // a lower quartile at or below zero, or quartiles further apart than the median is noise
  // rather than a measurement: it is reported as it is (signed), flagged, and no ratio is
  // claimed from it.
  let tExpr = Infinity, tBase = Infinity;
  const diffs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b1 = best1(() => tariff.run('current_usage', timedBase));
    const e1 = best1(() => tariff.run('current_usage', timedExpr));
    const e2 = best1(() => tariff.run('current_usage', timedExpr));
    const b2 = best1(() => tariff.run('current_usage', timedBase));
    tExpr = Math.min(tExpr, e1, e2);
    tBase = Math.min(tBase, b1, b2);
    diffs.push((e1 + e2 - b1 - b2) / 2 / N);
  }
  diffs.sort((p, q) => p - q);
  const q = (f) => diffs[Math.min(diffs.length - 1, Math.floor(f * diffs.length))];
  const tariffNs = q(0.5);
  const noisy = !(tariffNs > 0) || !(q(0.25) > 0) || q(0.75) - q(0.25) > tariffNs;
  rows.push({ name: x.name, source: x.source, events: N, units: units(a), rounds: ROUNDS,
    lago_expression_ns_per_event: evalOnly, tariff_wasm_direct_ns_per_event: directNs,
    direct_ratio: directNs > 0 ? evalOnly / directNs : null, tariff_wasm_ns_per_event: tariffNs,
    tariff_wasm_ns_per_event_quartiles: [q(0.25), q(0.75)],
    tariff_wasm_ns_per_event_min_minus_min: (tExpr - tBase) / N,
    tariff_wasm_current_usage_ms: tExpr / 1e6, tariff_wasm_current_usage_without_expression_ms: tBase / 1e6,
    noisy, ratio: noisy ? null : evalOnly / tariffNs });
}

console.log('| expression | lago-expression (ns/event) | tariff WASM, direct (ns/event) | ratio | ' +
  'tariff WASM, in current_usage (ns/event) | quartiles | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const [lo, hi] = r.tariff_wasm_ns_per_event_quartiles;
  console.log(`| \`${r.source}\` | ${r.lago_expression_ns_per_event.toFixed(0)} | ` +
    `${r.tariff_wasm_direct_ns_per_event.toFixed(1)} | ${r.direct_ratio === null ? 'noise (difference ≤ 0)' : r.direct_ratio.toFixed(1) + '×'} | ` +
    `${r.tariff_wasm_ns_per_event.toFixed(0)} | ` +
    `${lo.toFixed(0)}–${hi.toFixed(0)} | ${r.noisy ? 'noise (a quartile ≤ 0, or quartiles wider than the median): rerun on an idle machine' : r.ratio.toFixed(1) + '×'} |`);
}
console.log(JSON.stringify({ events: N, rows }, null, 2));
