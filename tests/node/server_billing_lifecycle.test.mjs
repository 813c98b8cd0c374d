// Billing after issue: fees on no invoice (a non-invoiceable charge paid in advance), paid and
// regrouped on an `advance_charges` invoice (regroup_paid_fees "invoice"), Lago's fees API, and
// voiding an invoice with Lago's consequences (coupons recredited, wallet debits given back).
// Every expected figure is worked by hand below.
//
// UTC organization, calendar monthly plans.
//   T0 2024-03-01 00:00  catalog; cust_r on `stmt` (1000/month in arrears + `calls` 2.00 paid in
//                        advance, not invoiceable, regrouped); cust_v on `vplan` (3100 in arrears)
//                        with a recurring 500 ×3 coupon, a once 300 coupon and a 10-credit wallet;
//                        cust_w on `wplan` (1000 in arrears) with two wallets: A (priority 1,
//                        1.11111 credits at 3.00 = 3.33333 → 333 cents), B (priority 2, 10 credits
//                        at 1.50 = 1500 cents)
//   T1 2024-03-10 00:00  two events of cust_r (fees 200 + VAT 20% 40 each, no invoice); the first paid
//   T2 2024-04-01 01:00  March billed: cust_r's subscription invoice and its advance_charges invoice;
//                        cust_v's invoice voided; cust_w's invoice (paid by both wallets) voided
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Client } from 'lago-javascript-client';
import { tempDb, call, API_KEY, lagoFetch, ok, serverAt, waitFor } from '../../server/testing/harness.mjs';

const T0 = '2024-03-01T00:00:00Z';
const T1 = '2024-03-10T00:00:00Z';
const T2 = '2024-04-01T01:00:00Z';

// RFC 4122 version 5 (SHA-1) under tariff's namespace db8325ff-c6bb-5b1e-b042-cbbafd854d8e
// (= uuid5(NAMESPACE_URL, 'urn:tariff:ids')): the ids the engine derives (tariff/ids.hpp).
function uuid5(name) {
  const h = createHash('sha1').update(Buffer.from('db8325ffc6bb5b1eb042cbbafd854d8e', 'hex')).update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

const withServer = (now, fn) => serverAt(db, now, fn);

test('T0: catalog, customers, coupons, wallet', async () => {
  await withServer(T0, async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { name: 'Acme', timezone: 'UTC', document_number_prefix: 'ACM-0001' } });
    await ok(base, 'POST', '/api/v1/taxes', { tax: { name: 'VAT', code: 'vat20', rate: '20.0' } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'stmt', code: 'stmt', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD', pay_in_advance: false,
      charges: [{ billable_metric_code: 'calls', charge_model: 'standard', pay_in_advance: true, invoiceable: false, regroup_paid_fees: 'invoice', tax_codes: ['vat20'], properties: { amount: '2' } }] } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'vplan', code: 'vplan', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Rec', code: 'rec', coupon_type: 'fixed_amount', amount_cents: 500, amount_currency: 'USD', frequency: 'recurring', frequency_duration: 3, expiration: 'no_expiration' } });
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Once', code: 'once', coupon_type: 'fixed_amount', amount_cents: 300, amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    for (const c of ['r', 'v']) await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: `cust_${c}`, name: c.toUpperCase(), currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_r', external_id: 'sub_r', plan_code: 'stmt', subscription_at: T0, billing_time: 'calendar' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_v', external_id: 'sub_v', plan_code: 'vplan', subscription_at: T0, billing_time: 'calendar' } });
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_v', coupon_code: 'rec' } });
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_v', coupon_code: 'once' } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_v', name: 'W', rate_amount: '1', currency: 'USD', granted_credits: '10' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'wplan', code: 'wplan', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_w', name: 'W', currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_w', external_id: 'sub_w', plan_code: 'wplan', subscription_at: T0, billing_time: 'calendar' } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_w', name: 'A', rate_amount: '3', currency: 'USD', granted_credits: '1.11111', priority: 1 } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_w', name: 'B', rate_amount: '1.5', currency: 'USD', granted_credits: '10', priority: 2 } });
    // A fixed charge's add-on (no add-on resource here): its id derived from the code, a uuid
    // as Lago's FixedChargeObject requires.
    const fplan = (await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'fplan', code: 'fplan', interval: 'monthly', amount_cents: 0, amount_currency: 'USD',
      fixed_charges: [{ add_on_code: 'support', code: 'support', charge_model: 'standard', units: '1', properties: { amount: '15' } }] } })).plan;
    assert.deepEqual(fplan.fixed_charges.map((c) => [c.add_on_code, c.lago_add_on_id]), [['support', uuid5('add_on/support')]]);
    assert.equal(uuid5('add_on/support'), 'f36ee492-b49c-5239-83f2-082d06db518e');
  });
});

test('T1: per-event fees of a non-invoiceable charge: no invoice, taxed at creation, listed by GET /fees', async () => {
  await withServer(T1, async (base) => {
    for (const [id, ts] of [['e1', '2024-03-05T10:00:00Z'], ['e2', '2024-03-06T10:00:00Z']])
      await ok(base, 'POST', '/api/v1/events', { event: { transaction_id: id, external_subscription_id: 'sub_r', code: 'calls', timestamp: ts } });
    const fees = await waitFor(async () => {
      const r = await ok(base, 'GET', '/api/v1/fees?external_customer_id=cust_r');
      return r.fees.length === 2 && r;
    });
    assert.ok(fees, 'two fees created');
    // 1 call × 2.00 = 200 cents; the charge's VAT 20%: 40; total 240; pending, on no invoice.
    assert.deepEqual(fees.fees.map((f) => [f.event_transaction_id, f.amount_cents, f.taxes_amount_cents, f.total_amount_cents, f.lago_invoice_id, f.payment_status, f.invoiceable]),
      [['e1', 200, 40, 240, null, 'pending', false], ['e2', 200, 40, 240, null, 'pending', false]]);
    assert.deepEqual(fees.fees[0].applied_taxes.map((t) => [t.tax_code, t.amount_cents]), [['vat20', 40]]);
    assert.deepEqual(fees.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 2 });
    assert.equal((await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_r')).invoices.length, 0);
    // Filters and Lago's refusals.
    assert.equal((await ok(base, 'GET', '/api/v1/fees?event_transaction_id=e2')).fees.length, 1);
    assert.equal((await ok(base, 'GET', '/api/v1/fees?fee_type=subscription&external_customer_id=cust_r')).fees.length, 0);
    const badType = await call(base, 'GET', '/api/v1/fees?fee_type=bogus');
    assert.deepEqual([badType.status, badType.body.error_details], [422, { fee_type: ['value_is_invalid'] }]);
    const badDate = await call(base, 'GET', '/api/v1/fees?created_at_from=soon');
    assert.deepEqual([badDate.status, badDate.body.error_details], [422, { created_at_from: ['invalid_date'] }]);
    assert.equal((await call(base, 'GET', '/api/v1/fees/nope')).status, 404);
    // Paid: Lago's Fees::UpdateService sets succeeded_at; a bad status is refused.
    const e1 = fees.fees[0];
    const bad = await call(base, 'PUT', `/api/v1/fees/${e1.lago_id}`, { body: { fee: { payment_status: 'paid' } } });
    assert.deepEqual([bad.status, bad.body.error_details], [422, { payment_status: ['value_is_invalid'] }]);
    const lago = Client(API_KEY, { baseUrl: `${base}/api/v1`, customFetch: lagoFetch(base) });
    const { data: paid } = await lago.fees.updateFee(e1.lago_id, { fee: { payment_status: 'succeeded' } });
    assert.deepEqual([paid.fee.payment_status, paid.fee.succeeded_at], ['succeeded', T1]);
    const { data: one } = await lago.fees.findFee(e1.lago_id);
    assert.equal(one.fee.payment_status, 'succeeded');
  });
});

test('T2: March billed; the paid fee regrouped on an advance_charges invoice; the pending one stays', async () => {
  await withServer(T2, async (base) => {
    const invs = await waitFor(async () => {
      const r = await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_r');
      return r.invoices.length === 2 && r.invoices;
    });
    assert.ok(invs, 'two invoices for cust_r');
    const byType = Object.fromEntries(invs.map((i) => [i.invoice_type, i]));
    // The period invoice: 1000 for March in arrears, no tax on the plan; the per-event charge is
    // not billed again there.
    assert.equal(byType.subscription.total_amount_cents, 1000);
    // Lago's AdvanceChargesService: e1 (paid) alone: fees 200, taxes 40, total 240, paid.
    const adv = (await ok(base, 'GET', `/api/v1/invoices/${byType.advance_charges.lago_id}`)).invoice;
    assert.deepEqual([adv.issuing_date, adv.status, adv.payment_status, adv.fees_amount_cents, adv.taxes_amount_cents, adv.total_amount_cents],
      ['2024-04-01', 'finalized', 'succeeded', 200, 40, 240]);
    assert.deepEqual(adv.fees.map((f) => f.event_transaction_id), ['e1']);
    // Lago's InvoiceSerializer prints an invoice's fees without their applied taxes (the fees
    // API prints them): 200 x 20 % = 40 on GET /fees/{id} only.
    assert.deepEqual(adv.fees.map((f) => 'applied_taxes' in f), [false]);
    const advFee = (await ok(base, 'GET', `/api/v1/fees/${adv.fees[0].lago_id}`)).fee;
    assert.deepEqual(advFee.applied_taxes.map((t) => [t.tax_code, t.amount_cents]), [['vat20', 40]]);
    // Its applied tax (Lago's Invoice::AppliedTax) has an id derived from the invoice and the code.
    assert.deepEqual(adv.applied_taxes.map((t) => [t.tax_code, t.lago_id]), [['vat20', uuid5(`applied_tax/${adv.lago_id}/vat20`)]]);
    assert.deepEqual(adv.billing_periods.map((p) => [p.invoicing_reason, p.charges_from_datetime, p.charges_to_datetime]),
      [['in_advance_charge_periodic', '2024-03-01T00:00:00Z', '2024-03-31T23:59:59Z']]);
    // The fees API: e1 now names its invoice, e2 is still pending on none; an invoiced fee's
    // payment status is its invoice's and cannot be set (405 invoiced_fee).
    const fees = (await ok(base, 'GET', '/api/v1/fees?external_customer_id=cust_r&fee_type=charge')).fees;
    assert.deepEqual(fees.map((f) => [f.event_transaction_id, f.lago_invoice_id, f.payment_status]),
      [['e1', adv.lago_id, 'succeeded'], ['e2', null, 'pending']]);
    // Lago's RefreshDraftService refreshes subscription invoices only.
    const refresh = await call(base, 'PUT', `/api/v1/invoices/${adv.lago_id}/refresh`);
    assert.deepEqual([refresh.status, refresh.body.code], [403, 'feature_unavailable']);
    const locked = await call(base, 'PUT', `/api/v1/fees/${fees[0].lago_id}`, { body: { fee: { payment_status: 'failed' } } });
    assert.deepEqual([locked.status, locked.body.code], [405, 'invoiced_fee']);
    const subFees = (await ok(base, 'GET', '/api/v1/fees?external_subscription_id=sub_r&fee_type=subscription')).fees;
    assert.deepEqual(subFees.map((f) => [f.amount_cents, f.lago_invoice_id]), [[1000, byType.subscription.lago_id]]);
    const one = (await ok(base, 'GET', `/api/v1/fees/${subFees[0].lago_id}`)).fee;
    assert.equal(one.item.type, 'subscription');
  });
});

test('T2: voiding an invoice gives back its coupons and wallet credits (Lago\'s Invoices::VoidService)', async () => {
  await withServer(T2, async (base) => {
    const [inv] = await waitFor(async () => {
      const r = await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_v');
      return r.invoices.length === 1 && r.invoices;
    });
    // March: 3100; coupons 500 (recurring) + 300 (once) = 800 → 2300; wallet 10 credits × 1.00 = 1000 → 1300.
    assert.deepEqual([inv.fees_amount_cents, inv.coupons_amount_cents, inv.prepaid_credit_amount_cents, inv.total_amount_cents], [3100, 800, 1000, 1300]);
    const coupons = async () => Object.fromEntries((await ok(base, 'GET', '/api/v1/applied_coupons?external_customer_id=cust_v')).applied_coupons
      .map((c) => [c.coupon_code, [c.status, c.frequency_duration_remaining]]));
    assert.deepEqual(await coupons(), { rec: ['active', 2], once: ['terminated', null] });
    const wallet = async () => (await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_v')).wallets[0];
    assert.deepEqual([(await wallet()).balance_cents, Number((await wallet()).credits_balance)], [0, 0]);

    const premium = await call(base, 'POST', `/api/v1/invoices/${inv.lago_id}/void`, { body: { generate_credit_note: true } });
    assert.deepEqual([premium.status, premium.body.code], [403, 'feature_unavailable']);
    const voided = (await ok(base, 'POST', `/api/v1/invoices/${inv.lago_id}/void`)).invoice;
    assert.deepEqual([voided.status, voided.payment_status, voided.voided_at, voided.payment_overdue], ['voided', 'pending', T2, false]);
    // RecreditService: the once coupon its use terminated is active again; the recurring one
    // has its period back (2 → 3).
    assert.deepEqual(await coupons(), { rec: ['active', 3], once: ['active', null] });
    // WalletTransactions::RecreditService: 10 credits granted back (1000 cents), naming the voided invoice.
    const w = await wallet();
    assert.deepEqual([w.balance_cents, Number(w.credits_balance)], [1000, 10]);
    const txs = (await ok(base, 'GET', `/api/v1/wallets/${w.lago_id}/wallet_transactions`)).wallet_transactions;
    const back = txs.filter((t) => t.lago_voided_invoice_id === inv.lago_id);
    assert.deepEqual(back.map((t) => [t.transaction_type, t.transaction_status, Number(t.credit_amount), Number(t.amount)]), [['inbound', 'granted', 10, 10]]);
    const again = await call(base, 'POST', `/api/v1/invoices/${inv.lago_id}/void`);
    assert.deepEqual([again.status, again.body.code], [405, 'not_voidable']);
    // The next preview sees the coupons and credits again: April 3100 − 800 − 1000 = 1300.
    const pre = (await ok(base, 'POST', '/api/v1/invoices/preview', { customer: { external_id: 'cust_v' }, subscriptions: { external_ids: ['sub_v'] } })).invoice;
    assert.deepEqual([pre.coupons_amount_cents, pre.prepaid_credit_amount_cents, pre.total_amount_cents], [800, 1000, 1300]);
  });
});

test('T2: voiding an invoice paid by two wallets gives each its debit back in whole cents through its rate', async () => {
  await withServer(T2, async (base) => {
    const [inv] = await waitFor(async () => {
      const r = await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_w');
      return r.invoices.length === 1 && r.invoices;
    });
    // March 1000: A (priority 1) pays its 333 cents, B the 667 left; nothing to pay.
    assert.deepEqual([inv.fees_amount_cents, inv.prepaid_credit_amount_cents, inv.total_amount_cents], [1000, 1000, 0]);
    const wallets = async () => Object.fromEntries((await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_w')).wallets
      .map((w) => [w.name, [w.balance_cents, w.credits_balance, w.consumed_credits]]));
    // Debits in credits (Lago's WalletCredit.from_amount_cents, 5 decimals): A 3.33 / 3 = 1.11,
    // B 6.67 / 1.5 = 4.446666… → 4.44667. A keeps 1.11111 − 1.11 = 0.00111 credits (0 cents),
    // B 10 − 4.44667 = 5.55333 (1500 − 667 = 833 cents).
    const num = (o) => Object.fromEntries(Object.entries(o).map(([k, [c, b, u]]) => [k, [c, Number(b), Number(u)]]));
    assert.deepEqual(num(await wallets()), { A: [0, 0.00111, 1.11], B: [833, 5.55333, 4.44667] });

    await ok(base, 'POST', `/api/v1/invoices/${inv.lago_id}/void`);
    // RecreditService per debit: A 1.11 × 3 = 3.33 → 333 cents, 3.33 / 3 = 1.11 credits back;
    // B 4.44667 × 1.5 = 6.670005 → 6.67 USD (whole cents) → 667 cents, 6.67 / 1.5 = 4.44667
    // credits back. Balances: A 0.00111 + 1.11 = 1.11111 (333 cents), B 5.55333 + 4.44667 =
    // 10 (1500 cents); consumed credits reset by as much (0 each).
    assert.deepEqual(num(await wallets()), { A: [333, 1.11111, 0], B: [1500, 10, 0] });
    const ws = (await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_w')).wallets;
    const back = [];
    for (const w of ws.sort((a, b) => a.name.localeCompare(b.name))) {
      const txs = (await ok(base, 'GET', `/api/v1/wallets/${w.lago_id}/wallet_transactions`)).wallet_transactions;
      for (const t of txs.filter((x) => x.lago_voided_invoice_id === inv.lago_id))
        back.push([w.name, t.transaction_type, t.transaction_status, Number(t.credit_amount), Number(t.amount)]);
    }
    assert.deepEqual(back, [['A', 'inbound', 'granted', 1.11, 3.33], ['B', 'inbound', 'granted', 4.44667, 6.67]]);
    // Lago's PastUsageQuery does not look at the invoice's status: the voided March is still a
    // usage period (fees 1000, no charge).
    const past = (await ok(base, 'GET', '/api/v1/customers/cust_w/past_usage?external_subscription_id=sub_w')).usage_periods;
    assert.deepEqual(past.map((u) => [u.lago_invoice_id, u.from_datetime, u.amount_cents, u.charges_usage.length]),
      [[inv.lago_id, '2024-03-01T00:00:00Z', 1000, 0]]);
  });
});

test('T2: DELETE /fees/{id} deletes a fee on no invoice only (Lago\'s Fees::DestroyService)', async () => {
  await withServer(T2, async (base) => {
    const fees = (await ok(base, 'GET', '/api/v1/fees?external_customer_id=cust_r&fee_type=charge')).fees;
    const [e1, e2] = ['e1', 'e2'].map((t) => fees.find((f) => f.event_transaction_id === t));
    // e1 was regrouped on the advance_charges invoice: 405 invoiced_fee, still there.
    const invoiced = await call(base, 'DELETE', `/api/v1/fees/${e1.lago_id}`);
    assert.deepEqual([invoiced.status, invoiced.body.code], [405, 'invoiced_fee']);
    assert.equal((await ok(base, 'GET', `/api/v1/fees/${e1.lago_id}`)).fee.lago_invoice_id, e1.lago_invoice_id);
    const none = await call(base, 'DELETE', '/api/v1/fees/00000000-0000-4000-8000-000000000000');
    assert.deepEqual([none.status, none.body.code], [404, 'fee_not_found']);
    // e2 (pending, on no invoice): answered as it was (200 + VAT 40), then gone everywhere.
    const gone = (await ok(base, 'DELETE', `/api/v1/fees/${e2.lago_id}`)).fee;
    assert.deepEqual([gone.lago_id, gone.event_transaction_id, gone.lago_invoice_id, gone.amount_cents, gone.taxes_amount_cents],
      [e2.lago_id, 'e2', null, 200, 40]);
    assert.deepEqual(gone.applied_taxes.map((t) => [t.lago_id, t.lago_fee_id, t.amount_cents]), [[uuid5(`applied_tax/${e2.lago_id}/vat20`), e2.lago_id, 40]]);
    const after = await call(base, 'GET', `/api/v1/fees/${e2.lago_id}`);
    assert.deepEqual([after.status, after.body.code], [404, 'fee_not_found']);
    const left = (await ok(base, 'GET', '/api/v1/fees?external_customer_id=cust_r&fee_type=charge')).fees;
    assert.deepEqual(left.map((f) => f.event_transaction_id), ['e1']);
    const again = await call(base, 'DELETE', `/api/v1/fees/${e2.lago_id}`);
    assert.deepEqual([again.status, again.body.code], [404, 'fee_not_found']);
  });
});
