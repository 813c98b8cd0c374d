// tariff-server reads every request body exactly (the engine's exact JSON reader): a decimal
// with 30 significant digits, sent as a JSON string or as a JSON number, is stored and served
// back with every digit, in every resource; a body nested deeper than the reader's limit is a
// 400, never a crash.
//
// JSON.stringify cannot write a 30-digit number, so bodies are raw text here, and responses
// are checked on their text (JSON.parse would round the numbers we are checking).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call } from '../../server/testing/harness.mjs';

let srv, db;
const api = (method, path, opts) => call(srv.base, method, path, opts);
const D30 = '123456789012345.123456789012345';  // 15 + 15 digits: within Decimal's ±1.7e20
const post = async (path, raw) => {
  const r = await api('POST', path, { raw });
  assert.equal(r.status, 200, `${path} ${r.text}`);
  return r;
};
// The text holds `"key":"<D30>"` (a number comes back as a string of the same digits).
const keeps = (text, key, what) => assert.ok(text.includes(`"${key}":"${D30}"`), `${what}: ${text}`);

before(async () => {
  db = tempDb();
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-15T12:00:00Z'] });
  await post('/api/v1/billable_metrics', JSON.stringify({ billable_metric: { code: 'gb', name: 'GB', aggregation_type: 'sum_agg', field_name: 'gb' } }));
});
after(async () => { await srv?.stop(); db?.remove(); });

test('plans keep a 30-digit amount given as a string and as a number', async () => {
  const raw = `{"plan": {"code": "exact", "name": "Exact", "interval": "monthly", "amount_cents": 100, "amount_currency": "EUR",
    "charges": [{"billable_metric_code": "gb", "charge_model": "standard", "properties": {"amount": "${D30}"}},
                {"billable_metric_code": "gb", "charge_model": "package", "properties": {"amount": ${D30}, "package_size": 10, "free_units": 0}}]}}`;
  const created = await post('/api/v1/plans', raw);
  const got = await api('GET', '/api/v1/plans/exact');
  for (const r of [created, got]) {
    const charges = r.body.plan.charges;
    assert.equal(charges.length, 2);
    // Both charges: the exact text, the number turned into a string of the same digits.
    assert.equal((r.text.match(new RegExp(`"amount":"${D30.replace('.', '\\.')}"`, 'g')) || []).length, 2, r.text);
  }
});

test('coupons, customers (metadata) and wallets keep 30-digit values', async () => {
  let r = await post('/api/v1/coupons', `{"coupon": {"code": "pct", "name": "Pct", "coupon_type": "percentage", "percentage_rate": ${D30.slice(13)}}}`);
  // "45.123456789012345" sent as a number: 17 significant digits, more than a double holds
  assert.ok(r.text.includes('"percentage_rate":"45.123456789012345"'), r.text);
  assert.ok((await api('GET', '/api/v1/coupons/pct')).text.includes('"percentage_rate":"45.123456789012345"'));

  r = await post('/api/v1/customers', `{"customer": {"external_id": "c1", "name": "C", "currency": "EUR",
    "metadata": [{"key": "limit", "value": "${D30}", "display_in_invoice": false}], "tariff_note": ${D30}}}`);
  for (const t of [r.text, (await api('GET', '/api/v1/customers/c1')).text]) keeps(t, 'value', 'customer metadata');
  // A field Lago's customer object does not have is stored as given (the snapshot shows it).
  keeps((await api('GET', '/api/v1/customers/c1/snapshot')).text, 'tariff_note', 'customer field given as a number');

  for (const rate of [`"${D30}"`, D30]) {
    r = await post('/api/v1/wallets', `{"wallet": {"external_customer_id": "c1", "currency": "EUR", "rate_amount": ${rate}, "granted_credits": "0"}}`);
    keeps(r.text, 'rate_amount', `wallet rate ${rate}`);
    keeps((await api('GET', `/api/v1/wallets/${r.body.wallet.lago_id}`)).text, 'rate_amount', 'stored wallet');
  }
});

test('events keep 30-digit property values and precise_total_amount_cents', async () => {
  const raw = `{"event": {"transaction_id": "e1", "external_subscription_id": "s1", "code": "gb",
    "timestamp": 1710504000, "precise_total_amount_cents": ${D30},
    "properties": {"gb": ${D30}, "text": "${D30}", "count": 12345678901234567890}}}`;
  const r = await post('/api/v1/events', raw);
  const batch = await post('/api/v1/events/batch', `{"events": [${raw.slice(10, -1).replace('"e1"', '"e2"')}]}`);
  for (const t of [r.text, batch.text, (await api('GET', '/api/v1/events/e1')).text, (await api('GET', '/api/v1/events')).text]) {
    keeps(t, 'gb', 'number property');
    keeps(t, 'text', 'string property');
    keeps(t, 'precise_total_amount_cents', 'precise_total_amount_cents');
    // an integer above 2^63 (below 2^64) stays an exact integer
    assert.ok(t.includes('"count":12345678901234567890'), t);
  }
});

test('a body nested 200,000 arrays deep is a 400; the server stays up', async () => {
  const deep = `{"event": {"transaction_id": "deep", "external_subscription_id": "s1", "code": "gb", "properties": {"x": ${'['.repeat(200000)}${']'.repeat(200000)}}}}`;
  const r = await api('POST', '/api/v1/events', { raw: deep });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(r.body, { status: 400, error: 'BadRequest: malformed_json' });  // Lago's bad_request_error
  // 64 levels is the limit: root, event, properties and 61 arrays are accepted; one more is not
  const at = (n) => `{"event": {"transaction_id": "d${n}", "external_subscription_id": "s1", "code": "gb", "properties": {"x": ${'['.repeat(n)}${']'.repeat(n)}}}}`;
  assert.equal((await api('POST', '/api/v1/events', { raw: at(61) })).status, 200);
  assert.equal((await api('POST', '/api/v1/events', { raw: at(62) })).status, 400);
  assert.equal((await call(srv.base, 'GET', '/health', { key: null })).status, 200);
  assert.equal((await api('GET', '/api/v1/events/e1')).status, 200);
});
