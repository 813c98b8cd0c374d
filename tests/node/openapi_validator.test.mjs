// The OpenAPI check the server tests rely on (server/testing/openapi.mjs) catches what it
// must: unknown fields, missing required ones, wrong types, nulls where Lago allows none,
// undocumented paths and statuses; and accepts Lago's own shapes, compositions included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createValidator, close } from '../../server/testing/openapi.mjs';

const v = createValidator();
const T = '2024-03-15T12:00:00Z';
const tax = () => ({ lago_id: '1a901a90-1a90-1a90-1a90-1a901a901a90', name: 'VAT', code: 'vat',
  description: null, rate: 20, applied_to_organization: true, created_at: T });
const fails = (fn, re) => assert.throws(fn, re);

test('a Lago tax passes; unknown, missing, mistyped fields fail', () => {
  assert.equal(v.check('GET', '/api/v1/taxes/vat', 200, { tax: tax() }), 'GET /taxes/{code} 200');
  fails(() => v.check('GET', '/api/v1/taxes/vat', 200, { tax: { ...tax(), color: 'red' } }), /must NOT have unevaluated properties: color/);
  const { rate, ...noRate } = tax();
  fails(() => v.check('GET', '/api/v1/taxes/vat', 200, { tax: noRate }), /must have required property 'rate'/);
  fails(() => v.check('GET', '/api/v1/taxes/vat', 200, { tax: { ...tax(), rate: '20.0' } }), /rate must be number/);
  fails(() => v.check('GET', '/api/v1/taxes/vat', 200, { tax: tax(), extra: 1 }), /unevaluated properties: extra/);
  fails(() => v.check('GET', '/api/v1/taxes/vat', 200, { tax: { ...tax(), created_at: 'yesterday' } }), /must match format "date-time"/);
});

test('allOf: the composed object is closed, its parts are not', () => {
  // AppliedCouponObjectExtended = allOf [AppliedCouponObject, {credits}]
  const id = '1a901a90-1a90-1a90-1a90-1a901a901a90';
  const applied = { lago_id: id, lago_coupon_id: id, coupon_code: 'w', coupon_name: 'W', lago_customer_id: id,
    external_customer_id: 'acme', status: 'active', amount_cents: 1000, amount_cents_remaining: 1000,
    amount_currency: 'USD', percentage_rate: null, frequency: 'once', frequency_duration: null,
    frequency_duration_remaining: null, expiration_at: null, created_at: T, terminated_at: null, credits: [] };
  const meta = { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 1 };
  const list = (a) => ({ applied_coupons: [a], meta });
  v.check('GET', '/api/v1/applied_coupons', 200, list(applied));
  const { credits, ...noCredits } = applied;
  fails(() => v.check('GET', '/api/v1/applied_coupons', 200, list(noCredits)), /required property 'credits'/);
  fails(() => v.check('GET', '/api/v1/applied_coupons', 200, list({ ...applied, bogus: 1 })), /unevaluated properties: bogus/);
  // the create answer is the plain object: credits are unknown there
  v.check('POST', '/api/v1/applied_coupons', 200, { applied_coupon: noCredits });
  fails(() => v.check('POST', '/api/v1/applied_coupons', 200, { applied_coupon: applied }), /unevaluated properties: credits/);
});

test('closing: oneOf alternatives, nullable, required-but-undeclared fields', () => {
  const s = close({ oneOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] });
  assert.equal(s.oneOf[0].unevaluatedProperties, false);
  const part = close({ type: 'object', properties: { x: { type: 'string' } }, oneOf: [{ properties: { a: {} } }] });
  assert.equal(part.oneOf[0].unevaluatedProperties, undefined);  // a piece of the parent
  assert.equal(part.unevaluatedProperties, false);
  const n = close({ type: 'string', enum: ['a'], nullable: true });
  assert.deepEqual(n.type, ['string', 'null']);
  assert.deepEqual(n.enum, ['a', null]);
  const r = close({ type: 'object', required: ['k'], properties: { j: {} } });
  assert.deepEqual(Object.keys(r.properties), ['j', 'k']);
  const free = close({ type: 'object' });  // declares nothing: free-form, left open
  assert.equal(free.unevaluatedProperties, undefined);
});

test('paths, methods and statuses Lago does not document fail, except listed extensions', () => {
  fails(() => v.check('GET', '/api/v1/nothing', 200, {}), /not a path of Lago's API/);
  fails(() => v.check('PATCH', '/api/v1/taxes/vat', 200, { tax: tax() }), /Lago has no such operation/);
  fails(() => v.check('GET', '/api/v1/taxes/vat', 201, { tax: tax() }), /documents no 201 response/);
  // a Lago path keeps Lago's statuses: GET /billable_metrics documents no 404, none is added
  fails(() => v.check('GET', '/api/v1/billable_metrics', 404, { status: 404, error: 'Not Found', code: 'x' }), /documents no 404/);
  // a 400 is Lago's {status, error: "BadRequest: ..."} and nothing else
  v.check('POST', '/api/v1/events', 400, { status: 400, error: 'BadRequest: malformed_json' });
  fails(() => v.check('POST', '/api/v1/events', 400, { status: 400, error: 'BadRequest: x', code: 'bad_request' }), /unevaluated properties: code/);
  // Lago's 404 document; the tariff extension for a path Lago does not have
  v.check('GET', '/api/v1/taxes/ghost', 404, { status: 404, error: 'Not Found', code: 'tax_not_found' });
  v.check('GET', '/api/v1/nothing', 404, { status: 404, error: 'Not Found', code: 'not_found' });
  fails(() => v.check('GET', '/api/v1/nothing', 404, { status: 404, error: 'Not Found', code: 'x', trace: 'y' }), /unevaluated|additional/);
  v.check('GET', '/health', 200, { message: 'Success', version: '0.1.0' });
  // the preview answers Lago's Invoice document, not the engine's {"invoices": [...]}
  fails(() => v.check('POST', '/api/v1/invoices/preview', 200, { invoices: [] }), /required property 'invoice'/);
  assert.ok(v.stats.validated >= 6);
});
