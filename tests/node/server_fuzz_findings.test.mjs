// Requests the server fuzz harness (tests/fuzz/server_fuzz.cpp) found answered wrongly, over HTTP:
// - a body nesting deeper than the engine's limit (64 containers) is refused with 400 before it
//   is parsed: 200,000 nested arrays in an event's properties overflowed the stack and took
//   every client down;
// - a wallet whose balance in cents is beyond int64 is a 422, not a 500;
// - a path or query value that is not UTF-8 once decoded (%99) is a 400, not a 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call } from '../../server/testing/harness.mjs';

let srv, db;
const api = (method, path, opts) => call(srv.base, method, path, opts);

// {"event": {..., "properties": {"region": <arrays nested `arrays` deep>}}}: 3 objects + arrays.
const eventNesting = (arrays, id) =>
  `{"event": {"transaction_id": "${id}", "external_subscription_id": "s1", "code": "calls", ` +
  `"properties": {"region": ${'['.repeat(arrays)}${']'.repeat(arrays)}}}}`;

before(async () => {
  db = tempDb();
  srv = await startServer({ db: db.path, args: ['--now', '2024-03-15T12:00:00Z'] });
  const r = await api('POST', '/api/v1/customers', { body: { customer: { external_id: 'c1', currency: 'EUR' } } });
  assert.equal(r.status, 200, r.text);
});
after(async () => { await srv?.stop(); db?.remove(); });

test('200,000 nested arrays: 400 malformed_json, and the server is still up', async () => {
  const r = await api('POST', '/api/v1/events', { raw: eventNesting(200000, 'deep') });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(r.body, { status: 400, error: 'BadRequest: malformed_json' });
  assert.equal((await api('GET', '/health')).status, 200);
  assert.equal(srv.child.exitCode, null);
});

test('the limit is 64 nested containers: 65 is refused, 64 is parsed', async () => {
  const over = await api('POST', '/api/v1/events', { raw: eventNesting(62, 'd65') });
  assert.equal(over.status, 400, over.text);
  assert.match(over.text, /malformed_json/);
  const at = await api('POST', '/api/v1/events', { raw: eventNesting(61, 'd64') });
  assert.doesNotMatch(at.text, /malformed_json/);
  assert.notEqual(at.status, 500, at.text);
  // Brackets inside strings do not count.
  const quoted = await api('POST', '/api/v1/events', {
    raw: `{"event": {"transaction_id": "${'['.repeat(100)}", "external_subscription_id": "s1", "code": "calls"}}` });
  assert.doesNotMatch(quoted.text, /malformed_json/);
});

test('a wallet balance beyond int64 cents: 422 value_out_of_range, nothing stored', async () => {
  // 983723768606330391 credits × 0.5 × 100 = 49186188430316519550 cents > 2^63 − 1
  // (9223372036854775807).
  const wallet = { external_customer_id: 'c1', rate_amount: '0.5', currency: 'EUR',
    granted_credits: '983723768606330391' };
  const r = await api('POST', '/api/v1/wallets', { body: { wallet } });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body, { status: 422, error: 'Unprocessable Entity', code: 'validation_errors',
    error_details: { base: ['value_out_of_range'] } });
  const list = await api('GET', '/api/v1/wallets?external_customer_id=c1');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.wallets.length, 0);
  // Just below the limit is stored: 92233720368547758 credits × 1 × 100 = 9223372036854775800
  // cents (compared as text: a JS number cannot hold it).
  const ok = await api('POST', '/api/v1/wallets', { body: { wallet: { ...wallet, rate_amount: '1',
    granted_credits: '92233720368547758' } } });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.text, /"balance_cents":9223372036854775800[,}]/);
});

test('a query or path that is not UTF-8 once decoded: 400 invalid_utf8; valid UTF-8 passes', async () => {
  const refused = { status: 400, error: 'BadRequest: invalid_utf8' };  // Lago's bad_request_error
  // 0x99: a lone continuation byte; C0 80: an overlong NUL; ED A0 80: a UTF-16 surrogate.
  for (const path of ['/api/v1/customers/c1/snapshot?external_subscription_id=%99',
    '/api/v1/customers/c1/current_usage?external_subscription_id=s%C0%80',
    '/api/v1/customers/%ED%A0%80', '/api/v1/events?code=%F4%90%80%80']) {
    const r = await api('GET', path);
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.deepEqual(r.body, refused, path);
  }
  // "é" and "😀" are fine: an unknown customer is a 404.
  const r = await api('GET', '/api/v1/customers/%C3%A9%F0%9F%98%80');
  assert.equal(r.status, 404, r.text);
  assert.equal((await api('GET', '/health')).status, 200);
});
