// Grace periods, progressive billing and webhooks together (issue 9 as one whole): the webhooks a
// multi-period scenario on a frozen clock sends to two local receivers (jwt and hmac, every
// signature verified and every body checked against Lago's webhook schemas), with the figures
// worked by hand below.
//
// UTC organization, prefix ACM-0001, invoice_grace_period 3 (organization). No taxes.
//   p_arr  1000/month in arrears + `calls` (count) at 1.00 in arrears; usage threshold 2000 ("T20")
//   m_adv  3100/month in advance, no charge
//   cust_p  p_arr, organization grace (3): progressive billing, the period-end draft finalized by hand
//   cust_c  p_arr, customer grace 3: finalized by the clock
//   cust_o  p_arr, organization grace: finalized by shortening it; a once 300 coupon, a 2-credit
//           wallet (200); its invoice is then voided
//   cust_k  p_arr, customer grace 5, shortened to 1
//   cust_t  m_adv, organization grace: terminated on day 2 (a credit note on a draft invoice)
//
//   T0 2024-03-01 00:00  everything set up; cust_t's start invoice: March's 3100, a draft (issued
//                        03-01 + 3 = 03-04) → invoice.drafted
//   T1 2024-03-02 00:00  25 calls of sub_p (03-01 10:00): lifetime usage 25 × 100 = 2500 ≥ 2000 →
//                        a progressive invoice of 2500, finalized at once although the grace
//                        period is 3 (Lago's ProgressiveBillingService finalizes it), issued 03-02
//                        → invoice.created, subscription.usage_threshold_reached (T20).
//                        sub_t terminated: 3100 / 31 = 100 a day, unused 03-03..03-31 = 29 days →
//                        a 2900 credit note on the start invoice, a draft like it (no webhook);
//                        the closing invoice (nothing in arrears: 0) a draft → invoice.drafted
//   T2 2024-03-05 00:00  the clock finalized cust_t's start invoice (deadline 03-04) → invoice.created,
//                        then credit_note.created (2900, available) — Lago's
//                        RefreshDraftAndFinalizeService; then the closing one (03-05) →
//                        invoice.created (0). 5 more calls of sub_p (03-04): 3000 − 2500 billed =
//                        500, past the only (fixed) threshold: no invoice. The preview of March:
//                        4000 − 2500 = 1500 (tariff deducts the progressive invoice; Lago's does not).
//   T3 2024-04-01 12:00  March billed, drafts issued 04-04 (cust_k: 04-06) → invoice.drafted ×4:
//                        cust_p 1000 + 30 × 100 = 4000 − progressive credit 2500 = 1500 (the
//                        credit applies to the draft); others 1000, no coupon nor wallet yet.
//                        cust_p finalized by hand: issued 04-01, 1500 → invoice.created
//   T4 2024-04-03 01:00  organization grace 3 → 1: cust_o's deadline 04-02 passed → finalized,
//                        issued 04-03: 1000 − coupon 300 = 700 − wallet 200 = 500 →
//                        wallet_transaction.created (debit), invoice.created; cust_c has its own
//                        grace (3); cust_k's own grace 5 → 1 → finalized, issued 04-03, 1000
//   T5 2024-04-04 01:00  the clock finalized cust_c (deadline 04-04), issued 04-04, 1000.
//                        cust_o's invoice voided: the coupon active again, 2 credits given back
//                        (an inbound granted transaction naming the invoice) →
//                        wallet_transaction.created, invoice.voided
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, ok, progressiveChecksRun } from '../../server/testing/harness.mjs';
import { startReceiver, serverKeys, verify, waitFor } from './server_webhooks_receiver.mjs';

const T = {
  0: '2024-03-01T00:00:00Z', 1: '2024-03-02T00:00:00Z', 2: '2024-03-05T00:00:00Z',
  3: '2024-04-01T12:00:00Z', 4: '2024-04-03T01:00:00Z', 5: '2024-04-04T01:00:00Z',
};

let db;
let jwtRx;
let hmacRx;
let keys;
before(async () => { db = tempDb(); jwtRx = await startReceiver(); hmacRx = await startReceiver(); });
after(async () => { await jwtRx?.close(); await hmacRx?.close(); db?.remove(); });

// Runs one phase on a server frozen at `now`, then waits until the delivery log holds nothing
// pending and both receivers have every post; returns the new posts of each receiver, verified,
// as [{type, body}] in the order received.
async function phase(now, fn) {
  const from = { jwt: jwtRx.got.length, hmac: hmacRx.got.length };
  const srv = await startServer({ db: db.path, args: ['--now', now, '--rate-limit', '0'] });
  try {
    const base = srv.base;
    keys ??= await serverKeys(base);
    await fn(base);
    const settled = await waitFor(async () => {
      const log = (await ok(base, 'GET', '/api/v1/webhooks?per_page=1000')).webhooks;
      if (!log.every((w) => w.status === 'succeeded')) return false;
      const n = log.length / 2;
      return jwtRx.got.length === n && hmacRx.got.length === n;
    });
    assert.ok(settled, 'every webhook delivered');
    const out = {};
    for (const [name, rx, algo] of [['jwt', jwtRx, 'jwt'], ['hmac', hmacRx, 'hmac']])
      out[name] = rx.got.slice(from[name]).map((p) => ({ type: JSON.parse(p.body).webhook_type,
        body: verify(p, { ...keys, issuer: base, algo }) }));
    // Both endpoints get the same webhooks, in the same order.
    assert.deepEqual(out.hmac.map((p) => p.body), out.jwt.map((p) => p.body));
    return { base, posts: out.jwt };
  } finally {
    await srv.stop();
  }
}

const inv = (p) => p.body.invoice;
const figures = (i) => ({ customer: i.customer.external_id, type: i.invoice_type, status: i.status, issuing_date: i.issuing_date,
  fees: i.fees_amount_cents, progressive: i.progressive_billing_credit_amount_cents, coupons: i.coupons_amount_cents,
  credit_notes: i.credit_notes_amount_cents, prepaid: i.prepaid_credit_amount_cents, total: i.total_amount_cents });
const F = (customer, type, status, issuing_date, fees, progressive, coupons, credit_notes, prepaid, total) =>
  ({ customer, type, status, issuing_date, fees, progressive, coupons, credit_notes, prepaid, total });
const invoiceFigures = (posts) => posts.filter((p) => p.body.object_type === 'invoice').map((p) => [p.type, figures(inv(p))]);
const ids = {};

test('T0: setup; a start invoice paid in advance is a draft', async () => {
  const { posts } = await phase(T[0], async (base) => {
    for (const [rx, algo] of [[jwtRx, 'jwt'], [hmacRx, 'hmac']])
      await ok(base, 'POST', '/api/v1/webhook_endpoints', { webhook_endpoint: { webhook_url: rx.url(`/${algo}`), signature_algo: algo } });
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { name: 'Acme', timezone: 'UTC', document_number_prefix: 'ACM-0001',
      billing_configuration: { invoice_grace_period: 3 } } });
    await ok(base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'p_arr', code: 'p_arr', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD',
      pay_in_advance: false, charges: [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '1' } }],
      usage_thresholds: [{ amount_cents: 2000, threshold_display_name: 'T20' }] } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'm_adv', code: 'm_adv', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD',
      pay_in_advance: true, charges: [] } });
    await ok(base, 'POST', '/api/v1/coupons', { coupon: { name: 'Three', code: 'three', coupon_type: 'fixed_amount', amount_cents: 300,
      amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    for (const [c, plan, grace] of [['p', 'p_arr'], ['c', 'p_arr', 3], ['o', 'p_arr'], ['k', 'p_arr', 5], ['t', 'm_adv']]) {
      const customer = { external_id: `cust_${c}`, name: c.toUpperCase(), currency: 'USD' };
      if (grace !== undefined) customer.billing_configuration = { invoice_grace_period: grace };
      await ok(base, 'POST', '/api/v1/customers', { customer });
      await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: `cust_${c}`, external_id: `sub_${c}`,
        plan_code: plan, subscription_at: T[0], billing_time: 'calendar' } });
    }
    await ok(base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cust_o', coupon_code: 'three' } });
    ids.wallet = (await ok(base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'cust_o', name: 'W', rate_amount: '1',
      currency: 'USD', granted_credits: '2' } })).wallet.lago_id;
    assert.ok(await waitFor(async () => (await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_t')).invoices.length === 1));
  });
  const types = posts.map((p) => p.type);
  assert.deepEqual(types.filter((t) => t === 'subscription.started').length, 5);
  assert.deepEqual(types.filter((t) => t === 'wallet_transaction.created').length, 1);
  assert.deepEqual(invoiceFigures(posts), [['invoice.drafted', F('cust_t', 'subscription', 'draft', '2024-03-04', 3100, 0, 0, 0, 0, 3100)]]);
  const drafted = inv(posts.find((p) => p.type === 'invoice.drafted'));
  assert.equal(drafted.number, 'ACM-0001-DRAFT');
  ids.start_t = drafted.lago_id;
});

test('T1: a progressive invoice is finalized at once in a grace period; a credit note on a draft sends nothing', async () => {
  const { posts } = await phase(T[1], async (base) => {
    const calls = Array.from({ length: 25 }, (_, i) => ({ transaction_id: `p${i}`, external_subscription_id: 'sub_p', code: 'calls',
      timestamp: '2024-03-01T10:00:00Z' }));
    await ok(base, 'POST', '/api/v1/events/batch', { events: calls });
    await ok(base, 'DELETE', '/api/v1/subscriptions/sub_t');
    assert.ok(await waitFor(async () => (await ok(base, 'GET', '/api/v1/invoices?per_page=100')).invoices.length === 3));
    // The note is a draft: neither listed nor sent.
    assert.equal((await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_t')).credit_notes.length, 0);
    const usage = (await ok(base, 'GET', '/api/v1/subscriptions/sub_p/lifetime_usage')).lifetime_usage;
    // Invoiced usage: the progressive invoice's 2500 is not counted (Lago's CalculateService counts
    // subscription invoices); current usage 2500.
    assert.deepEqual([usage.invoiced_usage_amount_cents, usage.current_usage_amount_cents], [0, 2500]);
  });
  assert.deepEqual(posts.map((p) => p.type).sort(), ['invoice.created', 'invoice.drafted', 'subscription.terminated',
    'subscription.usage_threshold_reached']);
  const order = posts.map((p) => p.type).filter((t) => t !== 'subscription.terminated' && t !== 'invoice.drafted');
  assert.deepEqual(order, ['invoice.created', 'subscription.usage_threshold_reached'], 'the threshold webhook after its invoice');
  assert.deepEqual(invoiceFigures(posts).sort((a, b) => a[1].customer.localeCompare(b[1].customer)), [
    ['invoice.created', F('cust_p', 'progressive_billing', 'finalized', '2024-03-02', 2500, 0, 0, 0, 0, 2500)],
    ['invoice.drafted', F('cust_t', 'subscription', 'draft', '2024-03-05', 0, 0, 0, 0, 0, 0)],
  ]);
  const progressive = inv(posts.find((p) => p.type === 'invoice.created'));
  assert.match(progressive.number, /^ACM-0001-\d{3}-001$/);
  assert.deepEqual(progressive.fees.map((f) => [f.item.type, f.item.code, f.units, f.amount_cents]), [['charge', 'calls', '25.0', 2500]]);
  ids.progressive = progressive;
  const reached = posts.find((p) => p.type === 'subscription.usage_threshold_reached').body.subscription;
  assert.equal(reached.external_id, 'sub_p');
  assert.equal(reached.plan.code, 'p_arr');
  assert.equal(reached.customer.external_id, 'cust_p');
  assert.deepEqual([reached.usage_threshold.threshold_display_name, reached.usage_threshold.amount_cents, reached.usage_threshold.recurring],
    ['T20', 2000, false]);
  assert.deepEqual(reached.applicable_usage_thresholds, [{ threshold_display_name: 'T20', amount_cents: 2000, recurring: false }]);
});

test('T2: the clock finalizes a draft and its credit note (credit_note.created after invoice.created)', async () => {
  const { posts } = await phase(T[2], async (base) => {
    const more = Array.from({ length: 5 }, (_, i) => ({ transaction_id: `q${i}`, external_subscription_id: 'sub_p', code: 'calls',
      timestamp: '2024-03-04T12:00:00Z' }));
    await ok(base, 'POST', '/api/v1/events/batch', { events: more });
    // The check runs on the next tick and passes no threshold: still one invoice for cust_p
    // once the check has left the queue (polled).
    await progressiveChecksRun(db);
    assert.equal((await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_p')).invoices.length, 1);
    // The preview of March's invoice already deducts the progressive invoice (tariff's decision,
    // docs/decisions.md): 1000 + 30 × 100 = 4000 − 2500 = 1500, the invoice T3 issues.
    const pv = (await ok(base, 'POST', '/api/v1/invoices/preview', { customer: { external_id: 'cust_p' },
      subscriptions: { external_ids: ['sub_p'] } })).invoice;
    assert.deepEqual([pv.fees_amount_cents, pv.progressive_billing_credit_amount_cents, pv.total_amount_cents], [4000, 2500, 1500]);
  });
  assert.deepEqual(posts.map((p) => p.type), ['invoice.created', 'credit_note.created', 'invoice.created']);
  assert.deepEqual(invoiceFigures(posts), [
    ['invoice.created', F('cust_t', 'subscription', 'finalized', '2024-03-04', 3100, 0, 0, 0, 0, 3100)],
    ['invoice.created', F('cust_t', 'subscription', 'finalized', '2024-03-05', 0, 0, 0, 0, 0, 0)],
  ]);
  const start = inv(posts[0]);
  assert.equal(start.lago_id, ids.start_t, 'the draft itself, finalized');
  assert.match(start.number, /^ACM-0001-\d{3}-001$/);
  const note = posts[1].body.credit_note;
  assert.deepEqual([note.total_amount_cents, note.balance_amount_cents, note.credit_status, note.reason],
    [2900, 2900, 'available', 'order_change']);
  assert.equal(note.lago_invoice_id, start.lago_id);
  assert.equal(note.number, `${start.number}-CN001`);
  assert.equal(note.customer.external_id, 'cust_t');
});

test('T3: period-end drafts carry the progressive credit; one finalized by hand', async () => {
  const { posts } = await phase(T[3], async (base) => {
    assert.ok(await waitFor(async () => (await ok(base, 'GET', '/api/v1/invoices?status=draft')).invoices.length === 4));
    const p = (await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_p&status=draft')).invoices[0];
    ids.draft_p = p.lago_id;
    await ok(base, 'PUT', `/api/v1/invoices/${p.lago_id}/finalize`);
  });
  const byCustomer = (a, b) => a[1].customer.localeCompare(b[1].customer);
  assert.deepEqual(invoiceFigures(posts.filter((p) => p.type === 'invoice.drafted')).sort(byCustomer), [
    ['invoice.drafted', F('cust_c', 'subscription', 'draft', '2024-04-04', 1000, 0, 0, 0, 0, 1000)],
    ['invoice.drafted', F('cust_k', 'subscription', 'draft', '2024-04-06', 1000, 0, 0, 0, 0, 1000)],
    ['invoice.drafted', F('cust_o', 'subscription', 'draft', '2024-04-04', 1000, 0, 0, 0, 0, 1000)],
    ['invoice.drafted', F('cust_p', 'subscription', 'draft', '2024-04-04', 4000, 2500, 0, 0, 0, 1500)],
  ]);
  const finalized = posts.filter((p) => p.type === 'invoice.created');
  assert.deepEqual(invoiceFigures(finalized), [['invoice.created', F('cust_p', 'subscription', 'finalized', '2024-04-01', 4000, 2500, 0, 0, 0, 1500)]]);
  assert.ok(posts.findIndex((p) => p.type === 'invoice.drafted' && inv(p).lago_id === ids.draft_p) <
    posts.findIndex((p) => p.type === 'invoice.created'), 'drafted, then created');
  const p = inv(finalized[0]);
  assert.equal(p.lago_id, ids.draft_p);
  // The credit names the progressive invoice (Lago's credit of item type `invoice`).
  const credit = p.credits.find((c) => c.item.type === 'invoice');
  assert.deepEqual([credit.amount_cents, credit.item.lago_item_id, credit.item.code], [2500, ids.progressive.lago_id, ids.progressive.number]);
  assert.deepEqual(p.fees.map((f) => [f.item.type, f.amount_cents]).sort(), [['charge', 3000], ['subscription', 1000]]);
});

test('T4: shortening the organization\'s and a customer\'s grace period finalizes their drafts at once', async () => {
  const { posts } = await phase(T[4], async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { billing_configuration: { invoice_grace_period: 1 } } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_k', billing_configuration: { invoice_grace_period: 1 } } });
    assert.deepEqual((await ok(base, 'GET', '/api/v1/invoices?status=draft')).invoices.map((i) => i.customer.external_id), ['cust_c']);
  });
  assert.deepEqual(posts.map((p) => p.type).sort(), ['invoice.created', 'invoice.created', 'wallet_transaction.created']);
  assert.deepEqual(invoiceFigures(posts), [
    ['invoice.created', F('cust_o', 'subscription', 'finalized', '2024-04-03', 1000, 0, 300, 0, 200, 500)],
    ['invoice.created', F('cust_k', 'subscription', 'finalized', '2024-04-03', 1000, 0, 0, 0, 0, 1000)],
  ]);
  ids.invoice_o = inv(posts.find((p) => p.type === 'invoice.created'));
  const debit = posts.find((p) => p.type === 'wallet_transaction.created').body.wallet_transaction;
  assert.deepEqual([debit.transaction_type, debit.credit_amount, debit.amount, debit.lago_invoice_id, debit.wallet.balance_cents],
    ['outbound', '2.0', '2.0', ids.invoice_o.lago_id, 0]);
});

test('T5: the clock finalizes the last draft; a void gives the coupon and the credits back', async () => {
  const { posts } = await phase(T[5], async (base) => {
    assert.ok(await waitFor(async () => (await ok(base, 'GET', '/api/v1/invoices?status=draft')).invoices.length === 0));
    const voided = await ok(base, 'POST', `/api/v1/invoices/${ids.invoice_o.lago_id}/void`);
    assert.equal(voided.invoice.status, 'voided');
    const coupons = (await ok(base, 'GET', '/api/v1/applied_coupons?external_customer_id=cust_o')).applied_coupons;
    assert.deepEqual(coupons.map((c) => c.status), ['active']);
    assert.equal((await ok(base, 'GET', `/api/v1/wallets/${ids.wallet}`)).wallet.balance_cents, 200);
  });
  assert.deepEqual(posts.map((p) => p.type), ['invoice.created', 'wallet_transaction.created', 'invoice.voided']);
  assert.deepEqual(invoiceFigures(posts), [
    ['invoice.created', F('cust_c', 'subscription', 'finalized', '2024-04-04', 1000, 0, 0, 0, 0, 1000)],
    ['invoice.voided', F('cust_o', 'subscription', 'voided', '2024-04-03', 1000, 0, 300, 0, 200, 500)],
  ]);
  const back = posts[1].body.wallet_transaction;
  assert.deepEqual([back.transaction_type, back.transaction_status, back.credit_amount, back.amount, back.lago_voided_invoice_id,
    back.wallet.balance_cents], ['inbound', 'granted', '2.0', '2.0', ids.invoice_o.lago_id, 200]);
  assert.equal(inv(posts[2]).lago_id, ids.invoice_o.lago_id);
  assert.ok(inv(posts[2]).voided_at);
});
