// Writes the shared benchmark snapshots bench/inputs/events_{1k,10k}.json (deterministic):
// one customer on a monthly plan with five charges of different models (standard,
// graduated, package, volume, percentage paid in advance) and N events spread over the
// current period. One `request` serves all four operations (unknown fields are ignored):
// customer + subscriptions for preview, external_subscription_id for the usage operations,
// event for estimate_fees.   Usage: node bench/make_inputs.mjs
// Larger sizes for the reading benchmarks (not kept in the repository), e.g.
//   node bench/make_inputs.mjs --out build/bench/inputs --sizes 1k,10k,100k,1m
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const OUT = arg('--out', join(dirname(fileURLToPath(import.meta.url)), 'inputs'));
const SIZES = arg('--sizes', '1k,10k').split(',').map((label) =>
  [label, Number(label.replace(/k$/i, '000').replace(/m$/i, '000000'))]);
const NOW = Date.parse('2024-03-20T12:00:00Z');
const PERIOD_START = Date.parse('2024-03-01T00:00:00Z');

// xorshift32: the same events on every run.
function rng(seed) {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

function snapshot(n) {
  const rand = rng(20240320 + n);
  const metrics = [
    { code: 'api_requests', name: 'API requests', aggregation_type: 'count_agg' },
    { code: 'storage_gb', name: 'Storage', aggregation_type: 'sum_agg', field_name: 'gb' },
    { code: 'messages', name: 'Messages', aggregation_type: 'sum_agg', field_name: 'count' },
    { code: 'compute_hours', name: 'Compute hours', aggregation_type: 'sum_agg', field_name: 'hours' },
    { code: 'payments', name: 'Payments', aggregation_type: 'sum_agg', field_name: 'amount' },
  ];
  const events = [];
  for (let i = 0; i < n; i++) {
    const m = metrics[i % metrics.length];
    const ts = new Date(PERIOD_START + Math.floor(rand() * (NOW - PERIOD_START))).toISOString().replace('.000Z', 'Z');
    const properties = {};
    if (m.field_name) properties[m.field_name] = (Math.floor(rand() * 100000) / 100).toFixed(2);
    properties.region = ['eu', 'us', 'ap'][Math.floor(rand() * 3)];
    events.push({ transaction_id: `tx_${n}_${i}`, external_subscription_id: 'sub_bench', code: m.code,
      timestamp: ts, properties });
  }
  return {
    now: new Date(NOW).toISOString().replace('.000Z', 'Z'),
    organization: { timezone: 'Europe/Paris', default_currency: 'EUR', tax_codes: ['vat'], invoice_grace_period: 0 },
    taxes: [{ code: 'vat', name: 'VAT', rate: '20.0', applied_to_organization: true }],
    billable_metrics: metrics,
    plans: [{
      code: 'bench', name: 'Benchmark plan', interval: 'monthly', amount_cents: 4900,
      amount_currency: 'EUR', pay_in_advance: false,
      charges: [
        { billable_metric_code: 'api_requests', charge_model: 'standard', properties: { amount: '0.0025' } },
        { billable_metric_code: 'storage_gb', charge_model: 'graduated', properties: { graduated_ranges: [
          { from_value: 0, to_value: 1000, per_unit_amount: '0.02', flat_amount: '1' },
          { from_value: 1001, to_value: 100000, per_unit_amount: '0.015', flat_amount: '0' },
          { from_value: 100001, to_value: null, per_unit_amount: '0.01', flat_amount: '0' }] } },
        { billable_metric_code: 'messages', charge_model: 'package',
          properties: { amount: '5', free_units: 1000, package_size: 1000 } },
        { billable_metric_code: 'compute_hours', charge_model: 'volume', properties: { volume_ranges: [
          { from_value: 0, to_value: 10000, per_unit_amount: '0.08', flat_amount: '0' },
          { from_value: 10001, to_value: null, per_unit_amount: '0.06', flat_amount: '10' }] } },
        { billable_metric_code: 'payments', charge_model: 'percentage', pay_in_advance: true, invoiceable: true,
          properties: { rate: '1.5', fixed_amount: '0.25', per_transaction_min_amount: '0.30',
            per_transaction_max_amount: '20' } },
      ],
    }],
    coupons: [],
    customer: { external_id: 'cus_bench', name: 'Bench Ltd', currency: 'EUR', timezone: 'Europe/Paris' },
    subscriptions: [{ external_id: 'sub_bench', external_customer_id: 'cus_bench', plan_code: 'bench',
      status: 'active', billing_time: 'calendar', subscription_at: '2024-01-01T00:00:00Z',
      started_at: '2024-01-01T00:00:00Z', ending_at: null, terminated_at: null }],
    applied_coupons: [],
    wallets: [],
    credit_notes: [],
    events,
    request: {
      customer: { external_id: 'cus_bench' },
      subscriptions: { external_ids: ['sub_bench'] },
      external_subscription_id: 'sub_bench',
      event: { code: 'payments', external_subscription_id: 'sub_bench', properties: { amount: '120.50' } },
    },
  };
}

mkdirSync(OUT, { recursive: true });
for (const [label, n] of SIZES) {
  const file = join(OUT, `events_${label}.json`);
  writeFileSync(file, JSON.stringify(snapshot(n)) + '\n');
  console.log(file);
}
