// The clock's bill reads usage as aggregates (usage_day documents maintained at ingestion,
// docs/usage_aggregates.md): the invoice equals the one the engine issues from the raw events,
// and both equal the figures worked out by hand.
//
// UTC organization, plan m_arr: 1000/month in arrears, calendar, subscription from 2024-03-01.
//   calls (count, filter region): standard 2.00, region=eu at 5.00
//     March: eu 5 a day on 03-02..03-05 = 20, + 1 at 03-31 23:50 (the quarter-hour before the
//     billing instant: read raw) = 21 → 21 × 5 = 105.00; us 5 a day on 03-02, 03-03 = 10 → 20.00
//     (02-29 23:59 and 04-01 00:10 are outside March)
//   storage (sum of gb): graduated 0–10 at 1.00, 11–∞ at 0.50 + 2.00 flat
//     10 events of 1.5 GB on 03-04 and 03-10 = 15 GB → 10 × 1 + (15 − 11 + 1) × 0.5 + 2 = 14.50
//   invoice of 2024-04-01: 1000 + 10500 + 2000 + 1450 = 14950 cents, no tax.
// Then the raw events of 03-03 (5 eu, 5 us calls) are deleted from the events table behind the
// server's back: an invoice read from raw events would drop them; the bill still counts them,
// which shows that it read the aggregates.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, tempDb, serverBin, ok, runCli, sqlQuery } from '../../server/testing/harness.mjs';

const db = tempDb();
after(() => db.remove());

const SETUP = '2024-03-31T23:59:00Z';
const BILLING_AT = '2024-04-01T00:00:00Z';

function events() {
  const out = [];
  const add = (code, ts, properties) => out.push({ transaction_id: `t${out.length}`, external_subscription_id: 'sub_a', code, timestamp: ts, properties });
  for (const day of ['02', '03', '04', '05'])
    for (let h = 1; h <= 5; h++) add('calls', `2024-03-${day}T0${h}:07:00Z`, { region: 'eu' });
  for (const day of ['02', '03'])
    for (let m = 0; m < 5; m++) add('calls', `2024-03-${day}T10:0${m}:00Z`, { region: 'us' });  // one quarter-hour
  for (const day of ['04', '10'])
    for (let m = 0; m < 5; m++) add('storage', `2024-03-${day}T12:${10 + m * 10}:00Z`, { gb: '1.5' });
  add('calls', '2024-03-31T23:50:00Z', { region: 'eu' });
  add('calls', '2024-02-29T23:59:00Z', { region: 'eu' });
  add('calls', '2024-04-01T00:10:00Z', { region: 'eu' });
  return out;
}

// The amounts of an invoice's fees by charge (and filter), sorted.
const feeAmounts = (invoice) => invoice.fees.map((f) => [f.item?.code ?? f.code ?? null, f.item?.type ?? null,
  f.units, f.amount_cents]).map(String).sort();

test('the periodic bill from aggregates equals the bill from raw events and the hand-worked figures', async () => {
  let raw;
  const srv = await startServer({ db: db.path, args: ['--now', SETUP, '--rate-limit', '0', '--no-billing'] });
  try {
    const base = srv.base;
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { timezone: 'UTC' } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg',
      filters: [{ key: 'region', values: ['eu', 'us'] }] } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'm_arr', code: 'm_arr', interval: 'monthly', amount_cents: 1000,
      amount_currency: 'USD', pay_in_advance: false, charges: [
        { billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '2' },
          filters: [{ values: { region: ['eu'] }, properties: { amount: '5' } }] },
        { billable_metric_code: 'storage', charge_model: 'graduated', properties: { graduated_ranges: [
          { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
          { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '2' }] } }] } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'acme', currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'acme', external_id: 'sub_a',
      plan_code: 'm_arr', subscription_at: '2024-03-01T00:00:00Z', billing_time: 'calendar' } });
    await ok(base, 'POST', '/api/v1/events/batch', { events: events() });
    // The engine's bill of the raw events (the server's snapshot holds raw events).
    const snap = await ok(base, 'GET', '/api/v1/customers/acme/snapshot?external_subscription_id=sub_a');
    assert.equal(snap.events.length, 43);  // 20 + 10 + 10 + 3
    assert.equal(snap.usage_aggregates, undefined);
    snap.now = BILLING_AT;
    snap.request = { invoicing_reason: 'subscription_periodic', billing_at: BILLING_AT, external_subscription_ids: ['sub_a'] };
    const r = runCli('bill', snap);
    assert.equal(r.code, 0, r.stdout);
    raw = JSON.parse(r.stdout).invoices;
    assert.equal(raw.length, 1);
  } finally { await srv.stop(); }
  assert.equal(raw[0].fees_amount_cents, 14950);

  // Days of stored aggregates exist; the raw events of 03-03 go.
  const days = sqlQuery(db.path, "SELECT count(*) FROM docs WHERE kind = 'usage_day'");
  assert.equal(days.status, 0, days.stderr);
  assert.ok(Number(days.stdout.trim()) > 0);
  const del = sqlQuery(db.path, `DELETE FROM events WHERE external_subscription_id = 'sub_a' AND ts_us >= ${Date.parse('2024-03-03T00:00:00Z') * 1000} AND ts_us < ${Date.parse('2024-03-04T00:00:00Z') * 1000}`);
  assert.equal(del.status, 0, del.stderr);

  const run = spawnSync(serverBin, ['bill', '--db', db.path, '--at', '2024-04-01T00:00:30Z'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const srv2 = await startServer({ db: db.path, args: ['--now', '2024-04-01T00:00:30Z', '--rate-limit', '0', '--no-billing'] });
  try {
    const list = await ok(srv2.base, 'GET', '/api/v1/invoices?external_customer_id=acme');
    assert.equal(list.invoices.length, 1);
    const inv = (await ok(srv2.base, 'GET', `/api/v1/invoices/${list.invoices[0].lago_id}`)).invoice;
    assert.equal(inv.issuing_date, '2024-04-01');
    assert.equal(inv.fees_amount_cents, 14950);
    assert.equal(inv.total_amount_cents, 14950);
    const byAmount = inv.fees.map((f) => f.amount_cents).sort((a, b) => a - b);
    assert.deepEqual(byAmount, [1000, 1450, 2000, 10500]);
    const units = Object.fromEntries(inv.fees.map((f) => [f.amount_cents, f.units]));
    assert.equal(Number(units[10500]), 21);
    assert.equal(Number(units[2000]), 10);
    assert.equal(Number(units[1450]), 15);
    // The same fees as the engine's bill of the raw events.
    assert.deepEqual(inv.fees.map((f) => [f.amount_cents, Number(f.units)]).sort((a, b) => a[0] - b[0]),
      raw[0].fees.map((f) => [f.amount_cents, Number(f.units)]).sort((a, b) => a[0] - b[0]));
  } finally { await srv2.stop(); }
});
