// Grace periods and draft invoices (Lago's grace-period page, whole): drafts refreshed with a
// late event, finalized by hand (Lago's JavaScript client), by the clock at the end of the grace
// period, by shortening the grace period of the organization and of a customer; lengthening
// keeps drafts. Every figure is worked by hand below.
//
// UTC organization (prefix ACM-0001), grace period 5 days; plan m_arr: 3100/month in arrears
// with `calls` at 2.00 in arrears; subscriptions from 2024-03-01, calendar.
//   cust_a  org grace; a once 1000 coupon and a 5-credit wallet (500); one call on 03-10
//   cust_b  customer grace 3
//   cust_c  org grace, lengthened to 10 at T1, shortened to 1 at T2
//   cust_d  org grace, finalized by hand at T1
//   T1 2024-04-01 12:00  March billed: four drafts; a late call of cust_a (03-31 20:00) refreshed in
//   T2 2024-04-04 01:00  (day 3 of 5) cust_b's draft finalized by the clock (deadline 04-04);
//                        the organization's grace shortened 5 → 2: cust_a's deadline 04-03 has
//                        passed, finalized at once; cust_c (customer grace 10) stays a draft
//                        until its own grace goes 10 → 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'lago-javascript-client';
import { tempDb, call, API_KEY, lagoFetch, ok, serverAt } from '../../server/testing/harness.mjs';

const T0 = '2024-03-01T00:00:00Z';
const T1 = '2024-04-01T12:00:00Z';
const T2 = '2024-04-04T01:00:00Z';

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

const withServer = (now, fn) => serverAt(db, now, fn);

async function invoiceOf(base, customer) {
  const r = await ok(base, 'GET', `/api/v1/invoices?external_customer_id=${customer}`);
  assert.equal(r.invoices.length, 1, `${customer}: one invoice`);
  return (await ok(base, 'GET', `/api/v1/invoices/${r.invoices[0].lago_id}`)).invoice;
}
const money = (i) => [i.status, i.issuing_date, i.fees_amount_cents, i.coupons_amount_cents, i.prepaid_credit_amount_cents, i.total_amount_cents];

test('T0: grace period 5 days on the organization, 3 on cust_b', async () => {
  await withServer(T0, async (base) => {
    const lago = Client(API_KEY, { baseUrl: `${base}/api/v1`, customFetch: lagoFetch(base) });
    const { data: org } = await lago.organizations.updateOrganization({ organization: { name: 'Acme', timezone: 'UTC', document_number_prefix: 'ACM-0001', billing_configuration: { invoice_grace_period: 5 } } });
    assert.equal(org.organization.billing_configuration.invoice_grace_period, 5);
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'm_arr', code: 'm_arr', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: false,
      charges: [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '2' } }] } });
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Ten', code: 'ten', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    for (const c of 'abcd') {
      const customer = { external_id: `cust_${c}`, name: c.toUpperCase(), currency: 'USD' };
      if (c === 'b') customer.billing_configuration = { invoice_grace_period: 3 };
      await ok(base, 'POST', '/api/v1/customers', { customer });
      await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: `cust_${c}`, external_id: `sub_${c}`, plan_code: 'm_arr', subscription_at: T0, billing_time: 'calendar' } });
    }
    const b = await ok(base, 'GET', '/api/v1/customers/cust_b');
    assert.equal(b.customer.billing_configuration.invoice_grace_period, 3);
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_a', coupon_code: 'ten' } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_a', name: 'W', rate_amount: '1', currency: 'USD', granted_credits: '5' } });
    await ok(base, 'POST', '/api/v1/events', { event: { transaction_id: 'a1', external_subscription_id: 'sub_a', code: 'calls', timestamp: '2024-03-10T10:00:00Z' } });
  });
});

test('T1: drafts (fees and taxes only), a late event refreshed in, a draft finalized by hand, a grace period lengthened', async () => {
  await withServer(T1, async (base) => {
    const lago = Client(API_KEY, { baseUrl: `${base}/api/v1`, customFetch: lagoFetch(base) });
    const { data: drafts } = await lago.invoices.findAllInvoices({ status: 'draft' });
    assert.equal(drafts.invoices.length, 4);
    // A: 3100 + 1 call × 200 = 3300; a draft takes no coupon nor wallet; issued 04-01 + 5 = 04-06.
    const a = await invoiceOf(base, 'cust_a');
    assert.deepEqual(money(a), ['draft', '2024-04-06', 3300, 0, 0, 3300]);
    assert.equal(a.number, 'ACM-0001-DRAFT');
    // B: customer grace 3 → 04-04.
    assert.deepEqual(money(await invoiceOf(base, 'cust_b')), ['draft', '2024-04-04', 3100, 0, 0, 3100]);
    // Lago's Invoices::UpdateService: no metadata nor payment status on a draft.
    const md = await call(base, 'PUT', `/api/v1/invoices/${a.lago_id}`, { body: { invoice: { metadata: [{ key: 'k', value: 'v' }] } } });
    assert.deepEqual([md.status, md.body.code], [405, 'metadata_on_draft_invoice']);
    const paid = await call(base, 'PUT', `/api/v1/invoices/${a.lago_id}`, { body: { invoice: { payment_status: 'succeeded' } } });
    assert.deepEqual([paid.status, paid.body.code], [405, 'payment_status_update_on_draft_invoice']);
    const voidDraft = await call(base, 'POST', `/api/v1/invoices/${a.lago_id}/void`);
    assert.deepEqual([voidDraft.status, voidDraft.body.code], [405, 'not_voidable']);
    // Nothing consumed yet.
    const coupons = (await ok(base, 'GET', '/api/v1/applied_coupons?external_customer_id=cust_a')).applied_coupons;
    assert.deepEqual(coupons.map((c) => c.status), ['active']);
    assert.equal((await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_a')).wallets[0].balance_cents, 500);

    // A late event with a timestamp inside March counts once the draft is refreshed: 2 calls → 3500.
    await ok(base, 'POST', '/api/v1/events', { event: { transaction_id: 'a2', external_subscription_id: 'sub_a', code: 'calls', timestamp: '2024-03-31T20:00:00Z' } });
    assert.equal((await invoiceOf(base, 'cust_a')).total_amount_cents, 3300, 'not before a refresh');
    const { data: refreshed } = await lago.invoices.refreshInvoice(a.lago_id);
    assert.deepEqual(money(refreshed.invoice), ['draft', '2024-04-06', 3500, 0, 0, 3500]);
    assert.equal(refreshed.invoice.lago_id, a.lago_id);
    assert.deepEqual(refreshed.invoice.fees.map((f) => [f.item.type, f.amount_cents]), [['subscription', 3100], ['charge', 400]]);

    // D finalized by hand: issued the day it is finalized (04-01), numbered.
    const d = await invoiceOf(base, 'cust_d');
    const { data: fin } = await lago.invoices.finalizeInvoice(d.lago_id);
    assert.deepEqual(money(fin.invoice), ['finalized', '2024-04-01', 3100, 0, 0, 3100]);
    assert.match(fin.invoice.number, /^ACM-0001-\d{3}-001$/);
    assert.equal((await call(base, 'PUT', `/api/v1/invoices/${d.lago_id}/finalize`)).status, 404, 'no draft any more');
    const same = await ok(base, 'PUT', `/api/v1/invoices/${d.lago_id}/refresh`);
    assert.equal(same.invoice.status, 'finalized', 'a finalized invoice is not recomputed');
    assert.equal((await call(base, 'PUT', '/api/v1/invoices/nope/refresh')).status, 404);

    // C's grace lengthened 5 → 10: still a draft, now issued 04-11.
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_c', billing_configuration: { invoice_grace_period: 10 } } });
    assert.deepEqual(money(await invoiceOf(base, 'cust_c')), ['draft', '2024-04-11', 3100, 0, 0, 3100]);
  });
});

test('T2: the clock finalizes at the deadline; shortening a grace period finalizes the drafts past their new deadline', async () => {
  await withServer(T2, async (base) => {
    // B's deadline 04-04 has come: finalized by the clock, issued 04-04.
    const b = await invoiceOf(base, 'cust_b');
    assert.deepEqual(money(b), ['finalized', '2024-04-04', 3100, 0, 0, 3100]);
    assert.match(b.number, /^ACM-0001-\d{3}-001$/);
    // A (deadline 04-06) and C (04-11) wait.
    assert.equal((await invoiceOf(base, 'cust_a')).status, 'draft');

    // Day 3 of 5, the organization's grace shortened to 2: A's deadline becomes 04-03, passed:
    // finalized at once, with its late event, coupon and wallet: 3500 − 1000 = 2500 − 500 = 2000,
    // issued the day it is finalized (04-04).
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { billing_configuration: { invoice_grace_period: 2 } } });
    const a = await invoiceOf(base, 'cust_a');
    assert.deepEqual(money(a), ['finalized', '2024-04-04', 3500, 1000, 500, 2000]);
    const coupons = (await ok(base, 'GET', '/api/v1/applied_coupons?external_customer_id=cust_a')).applied_coupons;
    assert.deepEqual(coupons.map((c) => c.status), ['terminated']);
    assert.equal((await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_a')).wallets[0].balance_cents, 0);
    // C has its own grace (10): unaffected by the organization's.
    assert.deepEqual(money(await invoiceOf(base, 'cust_c')), ['draft', '2024-04-11', 3100, 0, 0, 3100]);
    // C's grace shortened 10 → 1: deadline 04-02, passed: finalized now.
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_c', billing_configuration: { invoice_grace_period: 1 } } });
    assert.deepEqual(money(await invoiceOf(base, 'cust_c')), ['finalized', '2024-04-04', 3100, 0, 0, 3100]);
    const { invoices } = await ok(base, 'GET', '/api/v1/invoices?status=draft');
    assert.equal(invoices.length, 0);

    // Issuing dates in the preview follow the same settings as the invoice will (next test):
    // A, the organization's grace 2 with next_period_start + align_with_finalization_date:
    // 05-01 + 2 = 05-03; D, current_period_end + keep_anchor: the period's last day, 04-30.
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_d', billing_configuration: {
      subscription_invoice_issuing_date_anchor: 'current_period_end', subscription_invoice_issuing_date_adjustment: 'keep_anchor' } } });
    const preview = async (c) => (await ok(base, 'POST', '/api/v1/invoices/preview', { customer: { external_id: c }, subscriptions: { external_ids: [c.replace('cust_', 'sub_')] } })).invoice;
    assert.equal((await preview('cust_a')).issuing_date, '2024-05-03');
    assert.equal((await preview('cust_d')).issuing_date, '2024-04-30');
  });
});

test('a restart finalizes nothing twice; the next period is a draft again', async () => {
  await withServer('2024-05-01T06:00:00Z', async (base) => {
    const all = (await ok(base, 'GET', '/api/v1/invoices?per_page=100')).invoices;
    const byCustomer = {};
    for (const i of all) (byCustomer[i.customer.external_id] ??= []).push([i.issuing_date, i.status]);
    // April billed on 05-01: A with the organization's grace 2 → draft issued 05-03; C with 1 → 05-02;
    // B with 3 → 05-04; D anchored to the period's end (keep_anchor) → 04-30, as its preview said.
    // March invoices unchanged.
    assert.deepEqual(byCustomer.cust_a.sort(), [['2024-04-04', 'finalized'], ['2024-05-03', 'draft']]);
    assert.deepEqual(byCustomer.cust_b.sort(), [['2024-04-04', 'finalized'], ['2024-05-04', 'draft']]);
    assert.deepEqual(byCustomer.cust_c.sort(), [['2024-04-04', 'finalized'], ['2024-05-02', 'draft']]);
    assert.deepEqual(byCustomer.cust_d.sort(), [['2024-04-01', 'finalized'], ['2024-04-30', 'draft']]);
  });
});
