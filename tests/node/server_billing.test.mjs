// Authoritative billing over several periods: the server is restarted with a later --now (or
// `tariff-server bill --at` runs the due jobs) and the invoices it issued are read back through
// Lago's API and Lago's JavaScript client. Every expected figure is worked by hand below.
//
// Timeline (UTC organization, calendar billing unless said):
//   T0 2024-01-10 00:00  catalog, customers A..H, subscriptions, coupons, wallets, events
//   T1 2024-02-10 12:00  DELETE sub_c (termination mid-February)
//   T2 2024-03-16 00:00  sub_d upgraded m_adv → premium_adv, sub_e downgraded premium_arr → m_arr,
//                        cust_c subscribes again (sub_c2, m_arr) and spends its credit note
//   T3 2024-05-01 00:00  `tariff-server bill --at T3`, then a server at T3 reads everything
//
// Plans: m_adv 3100/month in advance, m_arr 3100/month in arrears, premium_adv 6200 in advance,
// premium_arr 6200 in arrears, each with `calls` (count) at 2.00 = 200 per call in arrears;
// ev_plan 0/month with `calls` at 2.00 paid in advance (a per-event invoice).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Client } from 'lago-javascript-client';
import { tempDb, call, serverBin, API_KEY, ok, serverAt, waitFor } from '../../server/testing/harness.mjs';

const T0 = '2024-01-10T00:00:00Z';
const T1 = '2024-02-10T12:00:00Z';
const T2 = '2024-03-16T00:00:00Z';
const T3 = '2024-05-01T00:00:00Z';

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

const withServer = (now, fn) => serverAt(db, now, fn);

const plan = (code, amount, advance, charges = [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '2' } }]) =>
  ({ plan: { name: code, code, interval: 'monthly', amount_cents: amount, amount_currency: 'USD', pay_in_advance: advance, charges } });
const sub = (customer, id, planCode, at, billing_time = 'calendar') =>
  ({ subscription: { external_customer_id: customer, external_id: id, plan_code: planCode, subscription_at: at, billing_time } });
const ev = (id, subId, ts) => ({ event: { transaction_id: id, external_subscription_id: subId, code: 'calls', timestamp: ts } });

async function invoicesOf(base, customer) {
  const r = await ok(base, 'GET', `/api/v1/invoices?external_customer_id=${customer}&per_page=100`);
  return r.invoices.slice().sort((a, b) => a.sequential_id - b.sequential_id);
}
const summary = (invs) => invs.map((i) => [i.issuing_date, i.total_amount_cents]);

test('T0: catalog, customers, subscriptions; start invoices of plans paid in advance', async () => {
  await withServer(T0, async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { name: 'Acme', timezone: 'UTC', document_number_prefix: 'ACM-0001' } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', plan('m_adv', 3100, true));
    await ok(base, 'POST', '/api/v1/plans', plan('m_arr', 3100, false));
    await ok(base, 'POST', '/api/v1/plans', plan('premium_adv', 6200, true));
    await ok(base, 'POST', '/api/v1/plans', plan('premium_arr', 6200, false));
    await ok(base, 'POST', '/api/v1/plans', plan('ev_plan', 0, false, [{ billable_metric_code: 'calls', charge_model: 'standard', pay_in_advance: true, invoiceable: true, properties: { amount: '2' } }]));
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Ten', code: 'ten', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    for (const c of 'abcdefgh') await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: `cust_${c}`, name: c.toUpperCase(), currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_a', 'sub_a', 'm_adv', '2024-01-16T00:00:00Z'));  // pending until 01-16
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_b', 'sub_b', 'm_arr', '2024-01-10T00:00:00Z', 'anniversary'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_c', 'sub_c', 'm_adv', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_d', 'sub_d', 'm_adv', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_e', 'sub_e', 'premium_arr', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_f', 'sub_f', 'm_arr', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_g', 'sub_g', 'm_arr', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_h', 'sub_h', 'ev_plan', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_f', coupon_code: 'ten' } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_g', name: 'first', rate_amount: '1', currency: 'USD', granted_credits: '20', priority: 1 } });
    await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_g', name: 'second', rate_amount: '1', currency: 'USD', granted_credits: '30', priority: 2 } });
    for (const [id, s, ts] of [['a1', 'sub_a', '2024-01-20T10:00:00Z'], ['b1', 'sub_b', '2024-01-15T10:00:00Z'],
      ['c1', 'sub_c', '2024-01-05T10:00:00Z'], ['c2', 'sub_c', '2024-02-05T10:00:00Z'], ['d1', 'sub_d', '2024-03-05T10:00:00Z'],
      ['h1', 'sub_h', '2024-01-20T10:00:00Z'], ['h2', 'sub_h', '2024-01-25T10:00:00Z']])
      await ok(base, 'POST', '/api/v1/events', ev(id, s, ts));

    // Started 01-01 and paid in advance: January's full fee at once (Lago's start invoice).
    const c = await waitFor(async () => { const v = await invoicesOf(base, 'cust_c'); return v.length === 1 && v; });
    assert.deepEqual(summary(c), [['2024-01-01', 3100]]);
    assert.equal(c[0].number, 'ACM-0001-003-001', 'prefix - customer sequence - invoice sequence');
    // Arrears plans start without an invoice; A is still pending.
    assert.deepEqual(await invoicesOf(base, 'cust_a'), []);
    assert.deepEqual(await invoicesOf(base, 'cust_f'), []);
  });
});

test('T1: a mid-period termination: closing invoice and a credit note for the unused days', async () => {
  await withServer(T1, async (base) => {
    await ok(base, 'DELETE', '/api/v1/subscriptions/sub_c');
    const inv = await waitFor(async () => { const v = await invoicesOf(base, 'cust_c'); return v.length === 3 && v; });
    // 01-01 start 3100; 02-01: February 3100 + January's call 200 = 3300;
    // 02-10 12:00 termination: February's call (02-05) 200, paid by the credit note: total 0.
    assert.deepEqual(summary(inv), [['2024-01-01', 3100], ['2024-02-01', 3300], ['2024-02-10', 0]]);
    assert.equal(inv[2].fees_amount_cents, 200);
    assert.equal(inv[2].credit_notes_amount_cents, 200);
    const notes = (await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_c')).credit_notes;
    assert.equal(notes.length, 1);
    // Unused: 02-11..02-29 = 19 of 29 days × 3100 = 2031.03 → 2031; 200 consumed → 1831 left.
    assert.equal(notes[0].total_amount_cents, 2031);
    assert.equal(notes[0].balance_amount_cents, 1831);
    assert.equal(notes[0].credit_status, 'available');
    assert.equal(notes[0].reason, 'order_change');
    assert.equal(notes[0].lago_invoice_id, inv[1].lago_id, 'on the invoice of February\'s advance fee');
    assert.equal(notes[0].number, `${inv[1].number}-CN001`);
    const one = await ok(base, 'GET', `/api/v1/credit_notes/${notes[0].lago_id}`);
    assert.equal(one.credit_note.number, notes[0].number);
    // The snapshot carries the available note for later calculations.
    const snap = await ok(base, 'GET', '/api/v1/customers/cust_c/snapshot');
    assert.deepEqual(snap.credit_notes.map((n) => n.balance_amount_cents), [1831]);
    assert.equal(snap.invoices.length, 3);
  });
});

test('T2: an upgrade bills the old subscription at once; a downgrade waits for the period end', async () => {
  await withServer(T2, async (base) => {
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_d', 'sub_d', 'premium_adv', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_e', 'sub_e', 'premium_arr', '2024-01-01T00:00:00Z'));
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_e', external_id: 'sub_e', plan_code: 'm_arr' } });
    await ok(base, 'POST', '/api/v1/subscriptions', sub('cust_c', 'sub_c2', 'm_arr', T2));  // C again, in arrears
    const d = await waitFor(async () => { const v = await invoicesOf(base, 'cust_d'); return v.length === 4 && v; });
    // 01-01, 02-01, 03-01: 3100 each (no calls before March). Upgrade 03-16: March's call 200
    // + premium 03-16..03-31 = 16 × 6200/31 = 3200; credit note for m_adv's unused 16 days
    // = 16 × 100 = 1600, all of it on this invoice: 3400 − 1600 = 1800.
    assert.deepEqual(summary(d), [['2024-01-01', 3100], ['2024-02-01', 3100], ['2024-03-01', 3100], ['2024-03-16', 1800]]);
    assert.equal(d[3].credit_notes_amount_cents, 1600);
    const e = await invoicesOf(base, 'cust_e');
    assert.deepEqual(summary(e), [['2024-02-01', 6200], ['2024-03-01', 6200]]);  // nothing at the downgrade request
  });
});

test('T3: `tariff-server bill --at` runs every due job once; a second run issues nothing', () => {
  const first = spawnSync(serverBin, ['bill', '--db', db.path, '--at', T3], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  assert.ok(JSON.parse(first.stdout).invoices > 10, first.stdout);
  const again = spawnSync(serverBin, ['bill', '--db', db.path, '--at', T3], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { jobs: 0, invoices: 0, failures: 0 });
});

test('T3: every customer\'s invoices, worked by hand', async () => {
  await withServer(T3, async (base) => {
    // A: starts 01-16 in advance: 16/31 × 3100 = 1600; 02-01: 3100 + January's call 200;
    // then 3100 a month (no more calls).
    assert.deepEqual(summary(await invoicesOf(base, 'cust_a')),
      [['2024-01-16', 1600], ['2024-02-01', 3300], ['2024-03-01', 3100], ['2024-04-01', 3100], ['2024-05-01', 3100]]);
    // B: anniversary from 01-10 in arrears: 02-10 = 3100 + one call 200; 03-10, 04-10 = 3100.
    assert.deepEqual(summary(await invoicesOf(base, 'cust_b')), [['2024-02-10', 3300], ['2024-03-10', 3100], ['2024-04-10', 3100]]);
    // C's new m_arr from 03-16 spends the termination credit note (1831 left):
    // 04-01: 03-16..03-31 = 16/31 × 3100 = 1600, all from the note (231 left) → 0;
    // 05-01: April 3100 − 231 = 2869, the note is consumed.
    const c = await invoicesOf(base, 'cust_c');
    assert.deepEqual(summary(c).slice(3), [['2024-04-01', 0], ['2024-05-01', 2869]]);
    assert.deepEqual(c.slice(3).map((i) => i.credit_notes_amount_cents), [1600, 231]);
    const [note] = (await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_c')).credit_notes;
    assert.deepEqual([note.balance_amount_cents, note.credit_status], [0, 'consumed']);
    // D: premium_adv from 03-16: 04-01 = April 6200 (no calls 03-16..03-31); 05-01 = 6200.
    assert.deepEqual(summary(await invoicesOf(base, 'cust_d')).slice(4), [['2024-04-01', 6200], ['2024-05-01', 6200]]);
    // E: premium_arr until the period end: 04-01 = March 6200; then m_arr: 05-01 = April 3100.
    const e = await invoicesOf(base, 'cust_e');
    assert.deepEqual(summary(e), [['2024-02-01', 6200], ['2024-03-01', 6200], ['2024-04-01', 6200], ['2024-05-01', 3100]]);
    const subsE = (await ok(base, 'GET', '/api/v1/subscriptions?external_customer_id=cust_e&status[]=active&status[]=terminated')).subscriptions;
    assert.deepEqual(subsE.map((s) => [s.plan_code, s.status]).sort(), [['m_arr', 'active'], ['premium_arr', 'terminated']]);
    // F: the once coupon (1000) takes January's 3100 down to 2100, then it is used up.
    assert.deepEqual(summary(await invoicesOf(base, 'cust_f')),
      [['2024-02-01', 2100], ['2024-03-01', 3100], ['2024-04-01', 3100], ['2024-05-01', 3100]]);
    const coupons = (await ok(base, 'GET', '/api/v1/applied_coupons?external_customer_id=cust_f&status=terminated')).applied_coupons;
    const ten = coupons.find((c) => c.coupon_code === 'ten');
    assert.equal(ten.status, 'terminated');
    assert.equal(ten.amount_cents_remaining, 0);
    // G: wallets by priority: 02-01: 3100 = first 2000 (dry) + second 1100 → 0 due;
    // 03-01: second's last 1900 → 3100 − 1900 = 1200; then 3100.
    const g = await invoicesOf(base, 'cust_g');
    assert.deepEqual(summary(g), [['2024-02-01', 0], ['2024-03-01', 1200], ['2024-04-01', 3100], ['2024-05-01', 3100]]);
    assert.deepEqual(g.map((i) => i.prepaid_credit_amount_cents), [3100, 1900, 0, 0]);
    const wallets = (await ok(base, 'GET', '/api/v1/wallets?external_customer_id=cust_g')).wallets;
    for (const w of wallets) {
      assert.equal(w.balance_cents, 0, `${w.name} ran dry`);
      const tx = (await ok(base, 'GET', `/api/v1/wallets/${w.lago_id}/wallet_transactions`)).wallet_transactions;
      // Lago's WalletTransactionObject carries the amount as decimal text (2000 cents = "20.0").
      const debits = tx.filter((t) => t.transaction_type === 'outbound').map((t) => t.amount);
      assert.deepEqual(debits, w.name === 'first' ? ['20.0'] : ['11.0', '19.0']);
    }
    // H: one invoice per event on the charge paid in advance: 1 call × 2.00 = 200 each.
    // Lago's invoice list has no fees (InvoiceObject): each invoice is read on its own.
    const hAll = await Promise.all((await invoicesOf(base, 'cust_h')).map(async (i) => (await ok(base, 'GET', `/api/v1/invoices/${i.lago_id}`)).invoice));
    const h = hAll.filter((i) => i.fees.some((f) => f.pay_in_advance));
    assert.deepEqual(summary(h), [['2024-01-20', 200], ['2024-01-25', 200]]);
    // Past usage of B (Lago's PastUsageSerializer): per invoice, newest first, the invoice's fees
    // (3100 a month, + 1 call × 200 in the first period) and its charge fees as charges_usage.
    const past = await ok(base, 'GET', '/api/v1/customers/cust_b/past_usage?external_subscription_id=sub_b');
    const charges = (u) => u.charges_usage.reduce((a, c) => a + c.amount_cents, 0);
    assert.deepEqual(past.usage_periods.map((u) => [u.amount_cents, u.taxes_amount_cents, u.total_amount_cents, charges(u)]),
      [[3100, 0, 3100, 0], [3100, 0, 3100, 0], [3300, 0, 3300, 200]]);
    assert.equal(past.meta.total_count, 3);
    // H: Lago's PastUsageQuery takes every invoice of the subscription with a charges window,
    // the per-event ones too: January (charges 2024-01-01 → 01-31) has the two per-event
    // invoices (200 each) and the period's own (nothing in arrears: 0).
    const pastH = await ok(base, 'GET', '/api/v1/customers/cust_h/past_usage?external_subscription_id=sub_h');
    assert.deepEqual(pastH.usage_periods.filter((u) => u.from_datetime === '2024-01-01T00:00:00Z').map((u) => u.amount_cents).sort(),
      [0, 200, 200]);
    const unknown = await call(base, 'GET', '/api/v1/customers/cust_h/past_usage?external_subscription_id=sub_h&billable_metric_code=nope');
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'billable_metric_not_found']);
  });
});

test('invoices API: filters, pagination, update, void, and Lago\'s JavaScript client', async () => {
  await withServer(T3, async (base) => {
    const mar = await ok(base, 'GET', '/api/v1/invoices?issuing_date_from=2024-03-01&issuing_date_to=2024-03-31&external_customer_id=cust_a');
    assert.deepEqual(mar.invoices.map((i) => i.issuing_date), ['2024-03-01']);
    const page = await ok(base, 'GET', '/api/v1/invoices?per_page=2&page=2&external_customer_id=cust_a');
    assert.deepEqual(page.meta, { current_page: 2, next_page: 3, prev_page: 1, total_pages: 3, total_count: 5 });
    assert.equal((await call(base, 'GET', '/api/v1/invoices/nope')).status, 404);
    // Bad input: Lago's error documents.
    const bad = await call(base, 'GET', '/api/v1/invoices?issuing_date_from=yesterday');
    assert.deepEqual([bad.status, bad.body.code, bad.body.error_details], [422, 'validation_errors', { issuing_date_from: ['invalid_date'] }]);
    const noSub = await call(base, 'GET', '/api/v1/customers/cust_b/past_usage');
    assert.deepEqual([noSub.status, noSub.body.error_details], [422, { external_subscription_id: ['value_is_mandatory'] }]);
    const badStatus = await call(base, 'PUT', `/api/v1/invoices/${mar.invoices[0].lago_id}`, { body: { invoice: { payment_status: 'paid' } } });
    assert.deepEqual([badStatus.status, badStatus.body.error_details], [422, { payment_status: ['value_is_invalid'] }]);
    assert.equal((await call(base, 'POST', '/api/v1/invoices/nope/void')).status, 404);

    const lago = Client(API_KEY, { baseUrl: `${base}/api/v1` });
    const { data: all } = await lago.invoices.findAllInvoices({ external_customer_id: 'cust_f', status: 'finalized' });
    assert.equal(all.invoices.length, 4);
    const first = all.invoices.find((i) => i.issuing_date === '2024-02-01');
    assert.equal(first.coupons_amount_cents, 1000);
    const { data: one } = await lago.invoices.findInvoice(first.lago_id);
    assert.equal(one.invoice.number, first.number);
    const { data: upd } = await lago.invoices.updateInvoice(first.lago_id, { invoice: { payment_status: 'succeeded', metadata: [{ key: 'po', value: '42' }] } });
    assert.equal(upd.invoice.payment_status, 'succeeded');
    assert.deepEqual(upd.invoice.metadata.map((m) => [m.key, m.value]), [['po', '42']]);
    // Lago's Invoices::VoidService voids a finalized invoice (paid or not) once; a voided one
    // is 405 not_voidable.
    const last = all.invoices.find((i) => i.issuing_date === '2024-05-01');
    const { data: voided } = await lago.invoices.voidInvoice(last.lago_id);
    assert.equal(voided.invoice.status, 'voided');
    const again = await call(base, 'POST', `/api/v1/invoices/${last.lago_id}/void`);
    assert.deepEqual([again.status, again.body.code], [405, 'not_voidable']);
    const { data: left } = await lago.invoices.findAllInvoices({ external_customer_id: 'cust_f', status: 'finalized' });
    assert.equal(left.invoices.length, 3);
    const { data: notes } = await lago.creditNotes.findAllCreditNotes({ external_customer_id: 'cust_c' });
    assert.equal(notes.credit_notes[0].total_amount_cents, 2031);
    // The required keys of Lago's OpenAPI objects (lago-openapi.yaml: InvoiceBaseObject,
    // CreditNoteObject, WalletTransactionObject) are all there.
    const required = {
      invoice: ['lago_id', 'billing_entity_code', 'number', 'issuing_date', 'invoice_type', 'status', 'payment_status', 'currency', 'fees_amount_cents', 'coupons_amount_cents', 'credit_notes_amount_cents', 'sub_total_excluding_taxes_amount_cents', 'taxes_amount_cents', 'sub_total_including_taxes_amount_cents', 'prepaid_credit_amount_cents', 'progressive_billing_credit_amount_cents', 'total_amount_cents', 'version_number', 'created_at', 'updated_at'],
      credit_note: ['lago_id', 'sequential_id', 'billing_entity_code', 'number', 'lago_invoice_id', 'invoice_number', 'issuing_date', 'reason', 'currency', 'total_amount_cents', 'credit_amount_cents', 'refund_amount_cents', 'offset_amount_cents', 'balance_amount_cents', 'taxes_amount_cents', 'taxes_rate', 'sub_total_excluding_taxes_amount_cents', 'coupons_adjustment_amount_cents', 'created_at', 'updated_at'],
      wallet_transaction: ['lago_id', 'lago_wallet_id', 'lago_invoice_id', 'lago_credit_note_id', 'lago_voided_invoice_id', 'status', 'source', 'transaction_status', 'transaction_type', 'credit_amount', 'amount', 'remaining_amount_cents', 'remaining_credit_amount', 'priority', 'invoice_requires_successful_payment', 'settled_at', 'failed_at', 'created_at', 'metadata', 'name', 'payment_method'],
    };
    const missing = (o, keys) => keys.filter((k) => !(k in o));
    assert.deepEqual(missing(one.invoice, required.invoice), []);
    assert.deepEqual(missing(notes.credit_notes[0], required.credit_note), []);
    assert.equal(notes.credit_notes[0].taxes_rate, 0);
    assert.deepEqual(one.invoice.billing_periods.map((p) => [p.invoicing_reason, p.charges_from_datetime, p.charges_to_datetime]),
      [['subscription_periodic', '2024-01-01T00:00:00Z', '2024-01-31T23:59:59Z']]);
    const { data: ws } = await lago.wallets.findAllWallets({ external_customer_id: 'cust_g' });
    const { data: wt } = await lago.wallets.findAllWalletTransactions(ws.wallets[0].lago_id);
    const debit = wt.wallet_transactions.find((x) => x.transaction_type === 'outbound');
    assert.deepEqual(missing(debit, required.wallet_transaction), []);
    assert.ok(debit.lago_invoice_id, 'a debit names its invoice');
  });
});

test('the preview taken at T3 is the invoice issued at the next billing date, fee for fee', async () => {
  const customers = ['cust_a', 'cust_b', 'cust_d', 'cust_e', 'cust_f', 'cust_g'];
  const previews = {};
  await withServer(T3, async (base) => {
    for (const c of customers) {
      const r = await call(base, 'POST', '/api/v1/invoices/preview', { body: { customer: { external_id: c }, subscriptions: { external_ids: [c.replace('cust_', 'sub_')] } } });
      assert.equal(r.status, 200, r.text);
      previews[c] = r.body.invoice;  // Lago's preview answers {"invoice": {...}}
    }
  });
  // F's coupon is used up, G's wallets are empty: the previews must not deduct them again.
  assert.equal(previews.cust_f.coupons_amount_cents, 0);
  assert.equal(previews.cust_g.prepaid_credit_amount_cents, 0);
  const next = { cust_a: '2024-06-01', cust_b: '2024-05-10', cust_d: '2024-06-01', cust_e: '2024-06-01', cust_f: '2024-06-01', cust_g: '2024-06-01' };
  const run = spawnSync(serverBin, ['bill', '--db', db.path, '--at', '2024-06-01T00:00:00Z'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  await withServer('2024-06-01T00:00:00Z', async (base) => {
    for (const c of customers) {
      const issued = (await invoicesOf(base, c)).filter((i) => i.issuing_date === next[c]);
      assert.equal(issued.length, 1, `${c}: one invoice on ${next[c]}`);
      // The list has no fees (InvoiceObject): the issued invoice is read on its own.
      const inv = (await ok(base, 'GET', `/api/v1/invoices/${issued[0].lago_id}`)).invoice;
      const pre = previews[c];
      assert.equal(inv.issuing_date, pre.issuing_date, c);
      for (const k of ['fees_amount_cents', 'coupons_amount_cents', 'credit_notes_amount_cents', 'prepaid_credit_amount_cents', 'taxes_amount_cents', 'total_amount_cents'])
        assert.equal(inv[k], pre[k], `${c} ${k}`);
      const fees = (i) => i.fees.map((f) => [f.item.type, f.item.code, f.amount_cents, f.from_date, f.to_date]);
      assert.deepEqual(fees(inv), fees(pre), c);
    }
  });
});
