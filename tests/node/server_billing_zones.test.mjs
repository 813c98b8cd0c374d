// Billing in customers' time zones and at other intervals: Asia/Tokyo and America/Los_Angeles
// around a month end, weekly, yearly with monthly charges, a trial, a recurring coupon. The
// server is set up before anything is due; `tariff-server bill --at` then advances the clock.
// All plans are calendar-billed; `calls` (count) costs 2.00 = 200 per call, in arrears.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, tempDb, call, serverBin, ok } from '../../server/testing/harness.mjs';

const db = tempDb();
after(() => db.remove());

const calls = [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '2' } }];
const plan = (code, interval, amount, advance, extra = {}) =>
  ({ plan: { name: code, code, interval, amount_cents: amount, amount_currency: 'USD', pay_in_advance: advance, charges: calls, ...extra } });
function bill(at) {
  const r = spawnSync(serverBin, ['bill', '--db', db.path, '--at', at], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
async function invoices(base, customer) {
  const r = await ok(base, 'GET', `/api/v1/invoices?external_customer_id=${customer}`);
  return r.invoices.sort((a, b) => a.sequential_id - b.sequential_id).map((i) => [i.issuing_date, i.total_amount_cents]);
}

test('setup before anything is due', async () => {
  const srv = await startServer({ db: db.path, args: ['--now', '2023-12-20T00:00:00Z'] });
  try {
    const base = srv.base;
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { timezone: 'UTC', document_number_prefix: 'ZON', document_numbering: 'per_organization' } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', plan('m_arr', 'monthly', 3100, false));
    await ok(base, 'POST', '/api/v1/plans', plan('w_arr', 'weekly', 700, false));
    await ok(base, 'POST', '/api/v1/plans', plan('y_adv', 'yearly', 120000, true, { bill_charges_monthly: true }));
    await ok(base, 'POST', '/api/v1/plans', plan('t_arr', 'monthly', 3100, false, { trial_period: 10 }));
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Tenth', code: 'tenth', coupon_type: 'percentage', percentage_rate: '10', frequency: 'recurring', frequency_duration: 2, expiration: 'no_expiration' } });
    const customers = [['tokyo', 'Asia/Tokyo', 'm_arr', '2023-12-31T15:00:00Z'], ['la', 'America/Los_Angeles', 'm_arr', '2024-01-01T08:00:00Z'],
      ['weekly', 'UTC', 'w_arr', '2024-01-01T00:00:00Z'], ['yearly', 'UTC', 'y_adv', '2024-01-01T00:00:00Z'],
      ['trial', 'UTC', 't_arr', '2024-01-01T00:00:00Z'], ['rec', 'UTC', 'm_arr', '2024-01-01T00:00:00Z']];
    for (const [c, timezone, planCode, at] of customers) {
      await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: c, currency: 'USD', timezone } });
      await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: c, external_id: `s_${c}`, plan_code: planCode, subscription_at: at, billing_time: 'calendar' } });
    }
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'rec', coupon_code: 'tenth' } });
    const events = [
      ['t1', 's_tokyo', '2024-01-31T14:30:00Z'],  // Tokyo 01-31 23:30: January
      ['t2', 's_tokyo', '2024-01-31T15:30:00Z'],  // Tokyo 02-01 00:30: February
      ['l1', 's_la', '2024-02-01T07:30:00Z'],     // Los Angeles 01-31 23:30: January
      ['l2', 's_la', '2024-02-01T08:30:00Z'],     // Los Angeles 02-01 00:30: February
      ['y1', 's_yearly', '2024-01-10T00:00:00Z'],
    ];
    for (const [id, s, ts] of events)
      await ok(base, 'POST', '/api/v1/events', { event: { transaction_id: id, external_subscription_id: s, code: 'calls', timestamp: ts } });
  } finally { await srv.stop(); }
});

test('month ends in Tokyo and Los Angeles, weekly, yearly with monthly charges, trial, recurring coupon', async () => {
  // 2024-02-01 07:00 UTC is February in Tokyo (since 01-31 15:00 UTC) but still January in
  // Los Angeles (until 02-01 08:00 UTC).
  bill('2024-02-01T07:00:00Z');
  let srv = await startServer({ db: db.path, args: ['--now', '2024-02-01T07:00:00Z'] });
  try {
    // Tokyo: January 3100 + the call of 01-31 23:30 local = 3300, issued on Tokyo's 02-01.
    assert.deepEqual(await invoices(srv.base, 'tokyo'), [['2024-02-01', 3300]]);
    assert.deepEqual(await invoices(srv.base, 'la'), []);
    // Numbered per organization (document_numbering per_organization): one sequence for all
    // customers, run in creation order — Tokyo's 02-01 first (001), weekly's four (002..005),
    // yearly's start of 01-01 (006) — with the issuing month.
    const numbers = async (c) => (await ok(srv.base, 'GET', `/api/v1/invoices?external_customer_id=${c}`)).invoices.map((i) => i.number).sort();
    assert.deepEqual(await numbers('tokyo'), ['ZON-202402-001']);
    assert.deepEqual(await numbers('weekly'), ['ZON-202401-002', 'ZON-202401-003', 'ZON-202401-004', 'ZON-202401-005']);
    assert.equal((await numbers('yearly'))[0], 'ZON-202401-006');
  } finally { await srv.stop(); }

  bill('2024-03-01T08:00:00Z');
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-01T08:00:00Z'] });
  try {
    const b = srv.base;
    // Tokyo 03-01: February 3100 + the call of 02-01 00:30 local = 3300.
    assert.deepEqual(await invoices(b, 'tokyo'), [['2024-02-01', 3300], ['2024-03-01', 3300]]);
    // Los Angeles: the same split on its own midnight (08:00 UTC).
    assert.deepEqual(await invoices(b, 'la'), [['2024-02-01', 3300], ['2024-03-01', 3300]]);
    // Weekly from Monday 01-01, 700 a week in arrears: every Monday from 01-08 to 02-26 (8 weeks).
    const weeks = ['01-08', '01-15', '01-22', '01-29', '02-05', '02-12', '02-19', '02-26'].map((d) => [`2024-${d}`, 700]);
    assert.deepEqual(await invoices(b, 'weekly'), weeks);
    // Yearly in advance with monthly charges: the year's 120000 at the start; then each
    // month's calls only: 02-01 = January's one call 200, 03-01 = nothing in February.
    assert.deepEqual(await invoices(b, 'yearly'), [['2024-01-01', 120000], ['2024-02-01', 200], ['2024-03-01', 0]]);
    // Trial of 10 days (until 01-11 00:00): 01-11..01-31 = 21/31 × 3100 = 2100; then February 3100.
    assert.deepEqual(await invoices(b, 'trial'), [['2024-02-01', 2100], ['2024-03-01', 3100]]);
    // 10 % recurring for 2 periods: 3100 − 310 = 2790 twice, then it has ended.
    assert.deepEqual(await invoices(b, 'rec'), [['2024-02-01', 2790], ['2024-03-01', 2790]]);
    const applied = (await ok(b, 'GET', '/api/v1/applied_coupons?external_customer_id=rec')).applied_coupons;
    assert.deepEqual(applied.map((a) => [a.status, a.frequency_duration_remaining]), [['terminated', 0]]);
    const preview = await ok(b, 'POST', '/api/v1/invoices/preview', { customer: { external_id: 'rec' }, subscriptions: { external_ids: ['s_rec'] } });
    // Lago's preview answers {"invoice": {...}}.
    assert.equal(preview.invoice.coupons_amount_cents, 0, 'the ended coupon is not previewed again');
  } finally { await srv.stop(); }
});
