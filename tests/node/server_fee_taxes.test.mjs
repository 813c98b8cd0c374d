// Fee-level applied taxes on Lago's fees API (FeesController#show/#index serialize each fee
// with includes: applied_taxes; Fees::ApplyTaxesService): per tax of a fee,
// amount_cents = round(sub_total_excluding_taxes_amount_cents × rate / 100), the base net of
// the fee's coupon share. Lago's invoice JSON prints no applied_taxes in its fees: the fees
// API does. Every figure is worked by hand below; each answer is checked against Lago's
// OpenAPI document by the harness.
//
// UTC organization, organization taxes VAT 20 % and 5.5 %.
//   T0 2024-03-01 00:00  plan `taxed`: 100.00 a month in arrears + `calls` 5.00 each; cust_t
//                        with a once fixed 11.00 coupon; two calls in March
//   T1 2024-04-01 01:00  March billed: subscription fee 10000, charge 2 × 500 = 1000; coupon 1100
//                        shared in proportion: 1100 × 10000 / 11000 = 1000 and 1100 × 1000 / 11000
//                        = 100 → bases 9000 and 900.
//                        subscription: 9000 × 20 / 100 = 1800, 9000 × 5.5 / 100 = 495 → 2295
//                        charge:        900 × 20 / 100 =  180,  900 × 5.5 / 100 = 49.5 → 50;
//                                       fee taxes round(229.5) = 230
//                        invoice: VAT 1980, 5.5 % 544.5 → 545; taxes 2525; total 9900 + 2525 = 12425
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDb, ok, serverAt, waitFor } from '../../server/testing/harness.mjs';

const T0 = '2024-03-01T00:00:00Z';
const T1 = '2024-04-01T01:00:00Z';

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

test('T0: taxes, plan, customer with a coupon, March events', async () => {
  await serverAt(db, T0, async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { name: 'Acme', timezone: 'UTC' } });
    await ok(base, 'POST', '/api/v1/taxes', { tax: { name: 'VAT 20%', code: 'vat20', rate: '20.0', applied_to_organization: true } });
    await ok(base, 'POST', '/api/v1/taxes', { tax: { name: 'Reduced 5.5%', code: 'red55', rate: '5.5', applied_to_organization: true } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'taxed', code: 'taxed', interval: 'monthly', amount_cents: 10000, amount_currency: 'USD', pay_in_advance: false,
      charges: [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '5' } }] } });
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Eleven', code: 'c11', coupon_type: 'fixed_amount', amount_cents: 1100, amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_t', name: 'T', currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_t', external_id: 'sub_t', plan_code: 'taxed', subscription_at: T0, billing_time: 'calendar' } });
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_t', coupon_code: 'c11' } });
    for (const [id, ts] of [['e1', '2024-03-05T10:00:00Z'], ['e2', '2024-03-20T10:00:00Z']])
      await ok(base, 'POST', '/api/v1/events', { event: { transaction_id: id, external_subscription_id: 'sub_t', code: 'calls', timestamp: ts } });
  });
});

test('T1: GET /fees and GET /fees/{id} give each invoiced fee its applied taxes', async () => {
  await serverAt(db, T1, async (base) => {
    const invs = await waitFor(async () => {
      const r = await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_t');
      return r.invoices.length === 1 && r.invoices;
    }, 30000);
    assert.ok(invs, 'March invoice issued for cust_t within 30 s');
    const inv = (await ok(base, 'GET', `/api/v1/invoices/${invs[0].lago_id}`)).invoice;
    assert.deepEqual([inv.fees_amount_cents, inv.coupons_amount_cents, inv.taxes_amount_cents, inv.total_amount_cents], [11000, 1100, 2525, 12425]);
    assert.deepEqual(inv.applied_taxes.map((t) => [t.tax_code, t.amount_cents]), [['vat20', 1980], ['red55', 545]]);
    // Lago's invoice fees carry no applied_taxes (InvoiceSerializer#fees: FeeSerializer without the include).
    for (const f of inv.fees) assert.equal(f.applied_taxes, undefined);

    const { fees } = await ok(base, 'GET', '/api/v1/fees?external_customer_id=cust_t');
    const byType = Object.fromEntries(fees.map((f) => [f.item.type, f]));
    assert.deepEqual(Object.keys(byType).sort(), ['charge', 'subscription']);
    const expected = {
      subscription: { base: 9000, taxes: 2295, applied: [['vat20', 'VAT 20%', 20, 1800], ['red55', 'Reduced 5.5%', 5.5, 495]] },
      charge: { base: 900, taxes: 230, applied: [['vat20', 'VAT 20%', 20, 180], ['red55', 'Reduced 5.5%', 5.5, 50]] },
    };
    const taxIds = Object.fromEntries((await ok(base, 'GET', '/api/v1/taxes')).taxes.map((t) => [t.code, t.lago_id]));
    for (const [type, want] of Object.entries(expected)) {
      const listed = byType[type];
      assert.deepEqual([listed.sub_total_excluding_taxes_amount_cents, listed.taxes_amount_cents, listed.taxes_rate], [want.base, want.taxes, 25.5], type);
      assert.deepEqual(listed.applied_taxes.map((t) => [t.tax_code, t.tax_name, t.tax_rate, t.amount_cents]), want.applied, type);
      for (const t of listed.applied_taxes) {
        assert.equal(t.lago_fee_id, listed.lago_id);
        assert.equal(t.lago_tax_id, taxIds[t.tax_code]);
        assert.equal(t.amount_currency, 'USD');
        assert.match(t.lago_id, /^[0-9a-f-]{36}$/);
        assert.match(t.created_at, /^2024-04-01T0[01]:00:00Z$/);
      }
      assert.notEqual(listed.applied_taxes[0].lago_id, listed.applied_taxes[1].lago_id);
      // GET /fees/{id}: the same fee, the same taxes.
      const one = (await ok(base, 'GET', `/api/v1/fees/${listed.lago_id}`)).fee;
      assert.equal(one.lago_invoice_id, inv.lago_id);
      assert.deepEqual(one.applied_taxes, listed.applied_taxes);
    }
  });
});
