// The WASM module gives memory back after a large input (node/lib/core.mjs): once a call has
// grown the instance's memory past `shrinkAboveBytes`, a fresh instance replaces it, and the
// answers stay byte-identical across the swap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTariff } from '../../node/index.mjs';

function snapshot(events) {
  return {
    now: '2024-03-15T12:00:00Z',
    organization: { timezone: 'UTC', default_currency: 'USD' },
    billable_metrics: [{ code: 'calls', name: 'Calls', aggregation_type: 'sum_agg', field_name: 'n' }],
    plans: [{ code: 'p', name: 'P', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
      pay_in_advance: false, charges: [{ billable_metric_code: 'calls', charge_model: 'standard',
        properties: { amount: '0.01' } }] }],
    customer: { external_id: 'c', currency: 'USD' },
    subscriptions: [{ external_id: 's', external_customer_id: 'c', plan_code: 'p', billing_time: 'calendar',
      subscription_at: '2024-01-01T00:00:00Z', started_at: '2024-01-01T00:00:00Z', status: 'active' }],
    events: Array.from({ length: events }, (_, i) => ({ transaction_id: `t${i}`, external_subscription_id: 's',
      code: 'calls', timestamp: '2024-03-05T00:00:00Z', properties: { n: '2', region: 'eu-west-1' } })),
    request: { external_subscription_id: 's' },
  };
}

test('a grown memory is given back by a fresh instance, with the same answers', async () => {
  const threshold = 32 * 1024 * 1024;
  const tariff = await createTariff({ shrinkAboveBytes: threshold });
  const small = JSON.stringify(snapshot(3));
  const before = tariff.run('current_usage', small);
  assert.equal(before.status, 200);
  // 3 events × 2 units × 0.01 = 0.06 USD = 6 cents
  assert.equal(JSON.parse(before.body).customer_usage.amount_cents, 6);
  const initial = tariff.memoryBytes();
  assert.ok(initial < threshold, `starts below the threshold (${initial})`);

  // 100,000 events × 2 units × 0.01 = 2,000 USD = 200,000 cents
  const large = tariff.run('current_usage', JSON.stringify(snapshot(100000)));
  assert.equal(large.status, 200);
  assert.equal(JSON.parse(large.body).customer_usage.amount_cents, 200000);
  const grown = tariff.memoryBytes();
  assert.ok(grown > threshold, `the large input grew the memory (${grown})`);

  await tariff.settled();
  const after = tariff.memoryBytes();
  assert.ok(after < threshold, `memory given back: ${grown} → ${after} bytes`);
  assert.equal(tariff.run('current_usage', small).body, before.body);
});

test('without a threshold crossed the instance is kept', async () => {
  const tariff = await createTariff();
  const module = tariff.module;
  assert.equal(tariff.run('current_usage', JSON.stringify(snapshot(10))).status, 200);
  await tariff.settled();
  assert.equal(tariff.module, module);
});
