// Throughput of the native `tariff check` and `tariff impact`, end to end (process start,
// file reads, engine, comparison, output), on generated inputs in a temporary directory:
//   check:  N small cases — a current_usage snapshot (one standard charge at 2.50, one event
//           of u units; 1.3 KB) expecting amount_cents = u x 250, all of which must pass;
//   impact: M copies of examples/portal.json (7.9 KB, the portal's snapshot), one customer
//           each, priced with the starter plan raised from 19.00 to 24.00.
// Best of 3 per thread count; prints a Markdown table and writes build/bench/check_impact.json.
//   Usage: node bench/check_impact.mjs [--cases 20000] [--customers 10000] [--jobs 1,2]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(root, process.env.TARIFF_BUILD_DIR ?? 'build', 'tariff');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const CASES = Number(arg('--cases', 20000));
const CUSTOMERS = Number(arg('--customers', 10000));
const JOBS = arg('--jobs', '1,2').split(',').map(Number);
const LOAD = loadavg();  // before the run

function smallCase(i) {
  const units = 1 + (i % 997);
  const snapshot = {
    now: '2024-03-15T12:00:00Z',
    organization: { timezone: 'UTC', default_currency: 'USD' },
    billable_metrics: [{ code: 'calls', name: 'Calls', aggregation_type: 'sum_agg', field_name: 'n' }],
    plans: [{ code: 'p', name: 'P', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
      pay_in_advance: false, charges: [{ billable_metric_code: 'calls', charge_model: 'standard',
        properties: { amount: '2.5' } }] }],
    customer: { external_id: `c${i}`, currency: 'USD' },
    subscriptions: [{ external_id: 's', external_customer_id: `c${i}`, plan_code: 'p', billing_time: 'calendar',
      subscription_at: '2024-01-01T00:00:00Z', started_at: '2024-01-01T00:00:00Z', status: 'active' }],
    events: [{ transaction_id: 't1', external_subscription_id: 's', code: 'calls',
      timestamp: '2024-03-05T00:00:00Z', properties: { n: String(units) } }],
    request: { external_subscription_id: 's' },
  };
  return { name: `${units} calls x 2.50 = ${units * 250} cents`, operation: 'current_usage', snapshot,
    expect: { customer_usage: { amount_cents: units * 250, charges_usage: [{ units: String(units) }] } } };
}

// Wall time, and the child's CPU time (user + sys) through /usr/bin/time when it exists:
// on a loaded machine the CPU time per item is the steadier figure.
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
function run(args) {
  const t0 = process.hrtime.bigint();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', 'cpu %U %S', bin, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`tariff ${args[0]} exited ${r.status}: ${r.stdout.slice(0, 500)}${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { s, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, out: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'tariff-bench-'));
const results = [];
try {
  mkdirSync(join(dir, 'cases'));
  for (let i = 0; i < CASES; i++)
    writeFileSync(join(dir, 'cases', `case_${String(i).padStart(6, '0')}.json`), JSON.stringify(smallCase(i)));
  const portal = JSON.parse(readFileSync(join(root, 'examples/portal.json'), 'utf8'));
  mkdirSync(join(dir, 'customers'));
  for (let i = 0; i < CUSTOMERS; i++) {
    const s = structuredClone(portal);
    const id = `cus_${i}`;
    s.customer.external_id = id;
    for (const sub of s.subscriptions) sub.external_customer_id = id;
    s.request.customer.external_id = id;
    writeFileSync(join(dir, 'customers', `${String(i).padStart(6, '0')}.json`), JSON.stringify(s, null, 2));
  }
  const starter = structuredClone(portal.plans.find((p) => p.code === 'starter'));
  starter.amount_cents = 2400;
  writeFileSync(join(dir, 'plans.json'), JSON.stringify({ plans: [starter] }));

  for (const jobs of JOBS) {
    let best = { s: Infinity };
    for (let k = 0; k < 3; k++) {
      const r = run(['check', join(dir, 'cases'), '--jobs', String(jobs)]);
      if (r.out.trim() !== `${CASES} passed, 0 failed`) throw new Error(`check: ${r.out.slice(-200)}`);
      if (r.s < best.s) best = r;
    }
    results.push({ name: `check/${CASES}_small_cases/jobs:${jobs}`, seconds: best.s, per_second: CASES / best.s,
      cpu_us_per_item: (best.cpu / CASES) * 1e6 });
  }
  for (const jobs of JOBS) {
    let best = { s: Infinity };
    for (let k = 0; k < 3; k++) {
      const r = run(['impact', '--plans', join(dir, 'plans.json'), join(dir, 'customers'), '--jobs', String(jobs)]);
      const doc = JSON.parse(r.out);
      if (doc.summary.customers !== CUSTOMERS) throw new Error('impact: wrong customer count');
      if (r.s < best.s) best = r;
    }
    results.push({ name: `impact/${CUSTOMERS}_portal_customers/jobs:${jobs}`, seconds: best.s,
      per_second: CUSTOMERS / best.s, cpu_us_per_item: (best.cpu / CUSTOMERS) * 1e6 });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`load average before the run: ${LOAD.map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
console.log('| benchmark | wall time (best of 3) | per second (wall) | CPU per item | per second per core (CPU) |');
console.log('|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.name} | ${r.seconds.toFixed(3)} s | ${Math.round(r.per_second).toLocaleString('en-US')} | ` +
    `${r.cpu_us_per_item.toFixed(0)} µs | ${Math.round(1e6 / r.cpu_us_per_item).toLocaleString('en-US')} |`);
mkdirSync(join(root, 'build', 'bench'), { recursive: true });
writeFileSync(join(root, 'build', 'bench', 'check_impact.json'),
  JSON.stringify({ context: { cpus: cpus().length, cases: CASES, customers: CUSTOMERS }, benchmarks: results }, null, 2));
