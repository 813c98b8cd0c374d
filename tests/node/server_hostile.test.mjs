// tariff-server under hostile input: each request gets the right status and a Lago-style
// error document, and the stored state is unchanged afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, API_KEY } from '../../server/testing/harness.mjs';

let srv, db;
const api = (method, path, opts) => call(srv.base, method, path, opts);

// Everything a test could have changed: catalog, customers, subscriptions, events.
async function state() {
  const parts = [];
  for (const p of ['/api/v1/billable_metrics', '/api/v1/plans', '/api/v1/customers', '/api/v1/events?per_page=1000',
    '/api/v1/subscriptions?status[]=active&status[]=pending&status[]=terminated']) {
    const r = await api('GET', p);
    assert.equal(r.status, 200, r.text);
    parts.push(r.text);
  }
  return parts.join('\n');
}

before(async () => {
  db = tempDb();
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-15T12:00:00Z'] });
  assert.equal((await api('POST', '/api/v1/billable_metrics', { body: { billable_metric: { code: 'calls', name: 'Calls', aggregation_type: 'count_agg' } } })).status, 200);
  assert.equal((await api('POST', '/api/v1/events', { body: { event: { transaction_id: 't1', external_subscription_id: 's1', code: 'calls' } } })).status, 200);
});
after(async () => { await srv?.stop(); db?.remove(); });

test('missing, malformed or wrong API keys: 401 {status, error}', async () => {
  const s0 = await state();
  for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: `Basic ${API_KEY}` },
    { Authorization: `Bearer ${API_KEY}x` }, { Authorization: `Bearer ${API_KEY.slice(0, -1)}` }, { Authorization: 'Bearer ' }]) {
    const r = await call(srv.base, 'POST', '/api/v1/billable_metrics', { key: null, headers,
      body: { billable_metric: { code: 'sneaky', name: 'x', aggregation_type: 'count_agg' } } });
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.deepEqual(r.body, { status: 401, error: 'Unauthorized' });
  }
  assert.equal(await state(), s0);
});

test('oversized body: 413 with an error document', async () => {
  const s0 = await state();
  const big = JSON.stringify({ events: [{ transaction_id: 'big', external_subscription_id: 's1', code: 'calls', properties: { pad: 'x'.repeat(1100000) } }] });
  const r = await api('POST', '/api/v1/events/batch', { raw: big });
  assert.equal(r.status, 413);
  assert.equal(r.body.status, 413);
  assert.equal(r.body.code, 'payload_too_large');
  assert.equal(await state(), s0);
});

test('malformed JSON and non-object bodies: 400 as Lago\'s bad_request_error', async () => {
  const s0 = await state();
  for (const raw of ['{"event":', 'not json', '[1,2]', '"str"', '']) {
    const r = await api('POST', '/api/v1/events', { raw });
    assert.equal(r.status, 400, raw);
    // Lago's bad_request_error: {status: 400, error: "BadRequest: <message>"}
    assert.equal(r.body.status, 400);
    assert.match(r.body.error, /^BadRequest: /);
  }
  const missingRoot = await api('POST', '/api/v1/plans', { body: { code: 'x' } });
  assert.equal(missingRoot.status, 400);
  assert.deepEqual(missingRoot.body, { status: 400, error: 'BadRequest: param is missing or the value is empty: plan' });
  assert.equal(await state(), s0);
});

test('wrong types: 422 validation_errors naming the field', async () => {
  const s0 = await state();
  const cases = [
    ['/api/v1/billable_metrics', { billable_metric: { code: 42, name: 'x', aggregation_type: 'count_agg' } }, { code: ['invalid_type'] }],
    ['/api/v1/billable_metrics', { billable_metric: { name: 'no code', aggregation_type: 'count_agg' } }, { code: ['value_is_mandatory'] }],
    ['/api/v1/events', { event: { transaction_id: 't9', external_subscription_id: 's1', code: 'calls', properties: 'x' } }, { properties: ['invalid_type'] }],
    ['/api/v1/events', { event: { transaction_id: 't9', external_subscription_id: 's1', code: 'calls', timestamp: 'yesterday' } }, { timestamp: ['invalid_format'] }],
    ['/api/v1/events', { event: { external_subscription_id: 's1', code: ['calls'] } }, { transaction_id: ['value_is_mandatory'], code: ['invalid_type'] }],
    ['/api/v1/subscriptions', { subscription: { external_customer_id: 'c', plan_code: 'nope', external_id: 's', subscription_at: 'soon' } }, { subscription_at: ['invalid_date'] }],
    ['/api/v1/plans', { plan: { code: 'p', name: 'P', interval: 'monthly', amount_cents: 0, amount_currency: 'USD', charges: 'none' } }, { charges: ['invalid_type'] }],
  ];
  for (const [path, body, details] of cases) {
    const r = await api('POST', path, { body });
    assert.equal(r.status, 422, `${path} ${r.text}`);
    assert.equal(r.body.code, 'validation_errors');
    assert.deepEqual(r.body.error_details, details, path);
  }
  assert.equal(await state(), s0);
});

test('unknown paths 404, wrong methods 405, unknown objects <resource>_not_found', async () => {
  const s0 = await state();
  let r = await api('GET', '/api/v1/nothing_here');
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'not_found');
  r = await call(srv.base, 'GET', '/no/such/page', { key: null });
  assert.equal(r.status, 404);
  r = await api('PATCH', '/api/v1/plans');
  assert.equal(r.status, 405);
  r = await api('GET', '/api/v1/plans/ghost');
  assert.deepEqual(r.body, { status: 404, error: 'Not Found', code: 'plan_not_found' });
  r = await api('GET', '/api/v1/customers/ghost/current_usage?external_subscription_id=s1');
  assert.equal(r.body.code, 'customer_not_found');
  r = await api('POST', '/api/v1/subscriptions', { body: { subscription: { external_customer_id: 'c', plan_code: 'ghost', external_id: 's' } } });
  assert.equal(r.body.code, 'plan_not_found');
  r = await api('POST', '/api/v1/events/estimate_fees', { body: { event: { code: 'calls', external_subscription_id: 'ghost' } } });
  assert.equal(r.body.code, 'subscription_not_found');
  r = await call(srv.base, 'GET', '/demo/snapshot', { key: null });
  assert.equal(r.status, 404);  // only with --demo
  // The plan_not_found above must not have created customer "c" either.
  assert.equal(await state(), s0);
});

test('duplicate transaction ids: 422 value_already_exist, batch all-or-nothing', async () => {
  const s0 = await state();
  let r = await api('POST', '/api/v1/events', { body: { event: { transaction_id: 't1', external_subscription_id: 's1', code: 'calls' } } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.error_details, { transaction_id: ['value_already_exist'] });
  // a fresh id, a stored duplicate, a duplicate inside the batch: nothing stored
  r = await api('POST', '/api/v1/events/batch', { body: { events: [
    { transaction_id: 'fresh', external_subscription_id: 's1', code: 'calls' },
    { transaction_id: 't1', external_subscription_id: 's1', code: 'calls' },
    { transaction_id: 'fresh', external_subscription_id: 's1', code: 'calls' }] } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.error_details, { 1: { transaction_id: ['value_already_exist'] }, 2: { transaction_id: ['value_already_exist'] } });
  r = await api('POST', '/api/v1/events/batch', { body: { events: Array.from({ length: 101 }, (_, i) => ({ transaction_id: `m${i}`, external_subscription_id: 's1', code: 'calls' })) } });
  assert.deepEqual(r.body.error_details, { events: ['too_many_events'] });
  r = await api('POST', '/api/v1/events/batch', { body: { events: [] } });
  assert.deepEqual(r.body.error_details, { events: ['no_events'] });
  assert.equal(await state(), s0);
});

test('per-key rate limit: 429 once the bucket is empty', async () => {
  const db2 = tempDb();
  const limited = await startServer({ db: db2.path, args: ['--rate-limit', '1', '--rate-burst', '5'] });
  try {
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(limited.base, 'GET', '/api/v1/plans')).status);
    // burst 5, refilling 1 token/s: the first five pass, then at most one more in the test's span
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    assert.ok(statuses.filter((s) => s === 429).length >= 5, statuses.join());
    const r = await call(limited.base, 'GET', '/api/v1/plans');
    assert.deepEqual(r.body, { status: 429, error: 'Too Many Requests', code: 'too_many_requests' });
    assert.equal((await call(limited.base, 'GET', '/health', { key: null })).status, 200);
  } finally {
    await limited.stop();
    db2.remove();
  }
});

test('a plan the engine cannot price is refused with its details, nothing stored', async () => {
  const s0 = await state();
  const bad = { plan: { code: 'broken', name: 'Broken', interval: 'monthly', amount_cents: 100, amount_currency: 'EUR',
    charges: [{ billable_metric_code: 'calls', charge_model: 'graduated', properties: { graduated_ranges: [
      { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
      { from_value: 5, to_value: null, per_unit_amount: '1', flat_amount: '0' }] } }] } };
  const r = await api('POST', '/api/v1/plans', { body: bad });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.code, 'validation_errors');
  // ranges overlap (second from 5 < first to 10): Lago's invalid_graduated_ranges, on the charge's properties
  assert.deepEqual(Object.keys(r.body.error_details), ['charges[0].properties.graduated_ranges']);
  assert.equal((await api('GET', '/api/v1/plans/broken')).status, 404);
  assert.equal(await state(), s0);
});
