// compare_plans in WASM for a portal-sized snapshot (issue 11: ≤ 50 µs per plan): 10 plans of 5
// charges each (bench/inputs/events_1k.json's plan — standard, graduated, package, volume,
// percentage — with prices and amounts varied per plan), 1,000 events. Times per call:
//   compare_plans/10_plans   every plan (T10)
//   compare_plans/1_plan     plan_codes ["bench"] (T1)
//   compare_plans/0_plans    plan_codes [] (T0): reading the snapshot and finding the
//                            subscription, no plan priced — the part of T1 that is reading
//   current_usage            the same snapshot's current usage, for scale
// and per plan:
//   per_plan_marginal        (T10 − T1) / 9: what one more plan adds to a call — its charge
//                            models, fees, invoice and JSON; the events are aggregated once
//                            per metric for every plan (this is the figure the target is for)
//   per_plan_total_over_10   T10 / 10: the whole call shared out, reading included
//   first_plan               T1 − T0: the first plan, with the aggregation every plan shares
//   reading_share_of_1_plan  T0 / T1
//   node bench/compare_plans_bench.mjs [--wasm-dir build-wasm] [--min-time 0.5] [--repeat 3]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTariff } from '../node/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const wasmDir = args['wasm-dir'] ?? process.env.TARIFF_WASM_DIR ?? join(HERE, '..', 'build-wasm');
const minTime = Number(args['min-time'] ?? 0.5);
const repeat = Number(args.repeat ?? 3);

export function portalSnapshot() {
  const snap = JSON.parse(readFileSync(join(HERE, 'inputs', 'events_1k.json'), 'utf8'));
  const base = snap.plans[0];
  const scale = (text, k) => (Number(text) * k).toFixed(4);
  snap.plans = Array.from({ length: 10 }, (_, i) => {
    const k = 0.6 + i * 0.1;
    const p = structuredClone(base);
    p.code = i === 0 ? base.code : `plan_${String(i).padStart(2, '0')}`;
    p.name = `Plan ${i}`;
    p.amount_cents = 1900 + i * 1000;
    for (const c of p.charges) {
      const pr = c.properties;
      if (pr.amount) pr.amount = scale(pr.amount, k);
      for (const r of pr.graduated_ranges ?? pr.volume_ranges ?? []) r.per_unit_amount = scale(r.per_unit_amount, k);
      if (pr.rate) pr.rate = scale(pr.rate, k);
    }
    return p;
  });
  snap.request = { external_subscription_id: 'sub_bench' };
  return snap;
}

function measure(fn) {
  for (let i = 0; i < 20; i++) fn();
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const budget = BigInt(Math.round(minTime * 1e9));
    let elapsed = 0n;
    while (elapsed < budget) { fn(); n++; elapsed = process.hrtime.bigint() - start; }
    best = Math.min(best, Number(elapsed) / n);
  }
  return best;
}

const t = await createTariff({ wasmDir });
const snap = portalSnapshot();
const ten = JSON.stringify(snap);
const one = JSON.stringify({ ...snap, request: { ...snap.request, plan_codes: ['bench'] } });
const none = JSON.stringify({ ...snap, request: { ...snap.request, plan_codes: [] } });
const check = t.comparePlans(ten);
if (check.plans.length !== 10) throw new Error('expected 10 plans');
if (t.comparePlans(none).plans.length !== 0) throw new Error('expected no plan');
const rows = {
  'compare_plans/10_plans': measure(() => t.run('compare_plans', ten)),
  'compare_plans/1_plan': measure(() => t.run('compare_plans', one)),
  'compare_plans/0_plans': measure(() => t.run('compare_plans', none)),
  current_usage: measure(() => t.run('current_usage', ten)),
};
const perPlan = rows['compare_plans/10_plans'] / 10;
const marginal = (rows['compare_plans/10_plans'] - rows['compare_plans/1_plan']) / 9;
const firstPlan = rows['compare_plans/1_plan'] - rows['compare_plans/0_plans'];
const readingShare = rows['compare_plans/0_plans'] / rows['compare_plans/1_plan'];
console.log(JSON.stringify({
  context: { date: new Date().toISOString(), executable: 'node ' + process.version, wasm_dir: wasmDir,
    snapshot_bytes: Buffer.byteLength(ten), plans: 10, charges_per_plan: 5, events: snap.events.length },
  benchmarks: [
    ...Object.entries(rows).map(([name, ns]) => ({ name, real_time: ns, time_unit: 'ns' })),
    { name: 'compare_plans/per_plan_total_over_10', real_time: perPlan, time_unit: 'ns' },
    { name: 'compare_plans/per_plan_marginal', real_time: marginal, time_unit: 'ns', target_ns: 50000 },
    { name: 'compare_plans/first_plan', real_time: firstPlan, time_unit: 'ns' },
  ],
  reading_share_of_1_plan: Number(readingShare.toFixed(3)),
}, null, 2));
