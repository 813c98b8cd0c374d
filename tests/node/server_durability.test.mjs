// tariff-server durability: event batches in flight, SIGKILL mid-load, restart on the same
// store. Every acknowledged event is there exactly once; a batch that was cut off is either
// wholly stored or wholly absent; idempotency holds across the restart. The events belong to a
// subscription whose metric is pre-aggregated at ingestion, and eight batches are in flight, so
// that concurrent requests share group commits (usage.cpp): after the restart the usage read
// from the aggregates counts exactly the events stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, ok } from '../../server/testing/harness.mjs';

const SUB = 'sub-durable';
const BATCH = 50;
const MAX_BATCHES = 600;     // bounded in count...
const KILL_AFTER_MS = 1500;  // ...and in time
const IN_FLIGHT = 8;
const NOW = '2024-03-15T12:00:00Z';
const ARGS = ['--rate-limit', '0', '--now', NOW];

// March 2024, inside the subscription's current period (2024-03-01 .. 2024-04-01).
const batchOf = (n) => Array.from({ length: BATCH }, (_, i) => ({
  transaction_id: `b${n}-e${i}`, external_subscription_id: SUB, code: 'calls',
  timestamp: 1709251200 + n * BATCH + i, properties: { n } }));

async function allEvents(base) {
  const ids = [];
  for (let page = 1; page < 1000; page++) {
    const r = await call(base, 'GET', `/api/v1/events?external_subscription_id=${SUB}&per_page=1000&page=${page}`);
    assert.equal(r.status, 200, r.text);
    ids.push(...r.body.events.map((e) => e.transaction_id));
    if (r.body.meta.next_page === null) return ids;
  }
  throw new Error('too many pages');
}

test('SIGKILL mid-load loses no acknowledged event and duplicates none', async (t) => {
  const db = tempDb();
  let srv = await startServer({ db: db.path, args: ARGS });
  await ok(srv.base, 'POST', '/api/v1/billable_metrics', { billable_metric: { code: 'calls', name: 'Calls', aggregation_type: 'count_agg' } });
  await ok(srv.base, 'POST', '/api/v1/plans', { plan: { code: 'p', name: 'P', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
    charges: [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '1' } }] } });
  await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: 'c', currency: 'USD' } });
  await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'c', plan_code: 'p', external_id: SUB,
    subscription_at: '2024-01-01T00:00:00Z', billing_time: 'calendar' } });
  const acked = new Set();     // batch numbers answered 200
  const sent = new Set();      // batch numbers sent (maybe cut off)
  let next = 0;
  let killed = false;
  const t0 = Date.now();
  const worker = async () => {
    while (!killed && next < MAX_BATCHES) {
      const n = next++;
      sent.add(n);
      try {
        const r = await call(srv.base, 'POST', '/api/v1/events/batch', { body: { events: batchOf(n) } });
        if (r.status === 200) acked.add(n);
        else assert.fail(`batch ${n}: ${r.status} ${r.text}`);
      } catch (e) {
        if (!killed) throw e;  // a connection cut by the kill is expected
      }
    }
  };
  const killer = (async () => {
    while (Date.now() - t0 < KILL_AFTER_MS && next < MAX_BATCHES) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    const ex = await srv.kill();
    assert.equal(ex.signal, 'SIGKILL');
  })();
  await Promise.all([...Array.from({ length: IN_FLIGHT }, worker), killer]);
  t.diagnostic(`acked ${acked.size} of ${sent.size} batches in ${Date.now() - t0} ms`);
  assert.ok(acked.size >= 5, `only ${acked.size} batches acknowledged before the kill`);

  srv = await startServer({ db: db.path, args: ARGS });
  try {
    const ids = await allEvents(srv.base);
    assert.equal(new Set(ids).size, ids.length, 'an event is stored twice');
    const stored = new Set(ids);
    for (const n of acked)
      for (const e of batchOf(n)) assert.ok(stored.has(e.transaction_id), `acknowledged ${e.transaction_id} lost`);
    for (const n of sent) {  // all-or-nothing per batch, acknowledged or not
      const have = batchOf(n).filter((e) => stored.has(e.transaction_id)).length;
      assert.ok(have === 0 || have === BATCH, `batch ${n} partly stored: ${have}/${BATCH}`);
    }
    for (const id of ids) assert.ok(sent.has(Number(/^b(\d+)-/.exec(id)[1])), `unexpected ${id}`);

    // The aggregates committed with the events: one unit per stored event at 1 USD a unit.
    const usage = await call(srv.base, 'GET', `/api/v1/customers/c/current_usage?external_subscription_id=${SUB}`);
    assert.equal(usage.status, 200, usage.text);
    assert.equal(usage.body.customer_usage.charges_usage[0].units, `${ids.length}.0`);
    assert.equal(usage.body.customer_usage.amount_cents, ids.length * 100);

    // Idempotency across the restart: an acknowledged batch again is refused, nothing added.
    const again = await call(srv.base, 'POST', '/api/v1/events/batch', { body: { events: batchOf([...acked][0]) } });
    assert.equal(again.status, 422);
    assert.deepEqual(again.body.error_details['0'], { transaction_id: ['value_already_exist'] });
    const single = await call(srv.base, 'POST', '/api/v1/events', { body: { event: batchOf([...acked][0])[7] } });
    assert.equal(single.status, 422);
    assert.equal((await allEvents(srv.base)).length, ids.length);
  } finally {
    await srv.stop();
    db.remove();
  }
});
