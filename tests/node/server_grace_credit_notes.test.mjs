// A credit note on a draft invoice (Lago's CreditNotes::CreateService: a draft with its invoice,
// neither listed nor credited; RefreshDraftAndFinalizeService finalizes it with the invoice).
//
// UTC organization, grace period 3 days; m_adv: 3100/month in advance, calendar.
//   T0 2024-03-01 00:00  cust_e subscribes: its start invoice (March's 3100) is a draft until 03-04
//   T1 2024-03-02 00:00  terminated: 3100 / 31 = 100 a day; unused from the end of the termination
//                        day to 03-31 (CreateFromTermination#remaining_duration): 29 days → a 2900
//                        note on the start invoice, a draft like it; the closing invoice (nothing
//                        in arrears: 0) is a draft until 03-05
//   T2 2024-03-05 00:00  the clock finalized both: the note is finalized and available (2900; the
//                        closing invoice, 0, took none of it)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDb, call, ok, serverAt } from '../../server/testing/harness.mjs';

let db;
before(() => { db = tempDb(); });
after(() => db?.remove());

const withServer = (now, fn) => serverAt(db, now, fn);
const invoices = async (base) => (await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_e')).invoices
  .map((i) => [i.issuing_date, i.status, i.total_amount_cents]).sort();

test('a termination note on a draft invoice is a draft until that invoice is finalized', async () => {
  await withServer('2024-03-01T00:00:00Z', async (base) => {
    await ok(base, 'PUT', '/api/v1/organizations', { organization: { timezone: 'UTC', billing_configuration: { invoice_grace_period: 3 } } });
    await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'm_adv', code: 'm_adv', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_e', name: 'E', currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_e', external_id: 'sub_e', plan_code: 'm_adv', subscription_at: '2024-03-01T00:00:00Z', billing_time: 'calendar' } });
  });
  await withServer('2024-03-02T00:00:00Z', async (base) => {
    assert.deepEqual(await invoices(base), [['2024-03-04', 'draft', 3100]]);
    await ok(base, 'DELETE', '/api/v1/subscriptions/sub_e');
    const closed = await (async () => {
      for (let i = 0; i < 80; i++) {
        const list = await invoices(base);
        if (list.length === 2) return list;
        await new Promise((r) => setTimeout(r, 100));
      }
      return invoices(base);
    })();
    assert.deepEqual(closed, [['2024-03-04', 'draft', 3100], ['2024-03-05', 'draft', 0]]);
    const notes = await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_e');
    assert.deepEqual([notes.credit_notes.length, notes.meta.total_count], [0, 0], 'a draft note is not listed');
    const snap = await ok(base, 'GET', '/api/v1/customers/cust_e/snapshot');
    assert.deepEqual(snap.credit_notes, [], 'nor credited');
  });
  await withServer('2024-03-05T00:00:00Z', async (base) => {
    assert.deepEqual(await invoices(base), [['2024-03-04', 'finalized', 3100], ['2024-03-05', 'finalized', 0]]);
    const notes = (await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_e')).credit_notes;
    assert.deepEqual(notes.map((n) => [n.total_amount_cents, n.balance_amount_cents, n.credit_status]), [[2900, 2900, 'available']]);
    const one = (await ok(base, 'GET', `/api/v1/credit_notes/${notes[0].lago_id}`)).credit_note;
    assert.equal(one.number, `${one.invoice_number}-CN001`);
  });
});

// The same with a tax added to the customer before the drafts are refreshed and finalized
// (Lago's Invoices::RefreshDraftService → CreditNotes::RefreshDraftService): the start invoice
// is re-taxed, 3100 + 20 % = 3720, and its note re-priced on the new fee: the item keeps its
// share, 2900 × 3100 / 3100 = 2900; taxes 2900 × 20 % = 580; credit 2900 + 580 = 3480.
test('a draft note is re-priced with its draft invoice (taxes of the refreshed fee)', async () => {
  const invoicesOf = async (base) => (await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_f')).invoices
    .map((i) => [i.issuing_date, i.status, i.total_amount_cents]).sort();
  await withServer('2024-03-01T00:00:00Z', async (base) => {
    await ok(base, 'POST', '/api/v1/taxes', { tax: { name: 'VAT', code: 'vat20', rate: '20.0' } });
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_f', name: 'F', currency: 'USD' } });
    await ok(base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cust_f', external_id: 'sub_f', plan_code: 'm_adv', subscription_at: '2024-03-01T00:00:00Z', billing_time: 'calendar' } });
  });
  await withServer('2024-03-02T00:00:00Z', async (base) => {
    assert.deepEqual(await invoicesOf(base), [['2024-03-04', 'draft', 3100]]);
    await ok(base, 'DELETE', '/api/v1/subscriptions/sub_f');
    for (let i = 0; i < 80 && (await invoicesOf(base)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await ok(base, 'POST', '/api/v1/customers', { customer: { external_id: 'cust_f', name: 'F', currency: 'USD', tax_codes: ['vat20'] } });
    const start = (await ok(base, 'GET', '/api/v1/invoices?external_customer_id=cust_f')).invoices.find((i) => i.total_amount_cents === 3100);
    const refreshed = (await ok(base, 'PUT', `/api/v1/invoices/${start.lago_id}/refresh`)).invoice;
    assert.deepEqual([refreshed.status, refreshed.fees_amount_cents, refreshed.taxes_amount_cents, refreshed.total_amount_cents], ['draft', 3100, 620, 3720]);
  });
  await withServer('2024-03-05T00:00:00Z', async (base) => {
    assert.deepEqual(await invoicesOf(base), [['2024-03-04', 'finalized', 3720], ['2024-03-05', 'finalized', 0]]);
    const notes = (await ok(base, 'GET', '/api/v1/credit_notes?external_customer_id=cust_f')).credit_notes;
    assert.deepEqual(notes.map((n) => [n.sub_total_excluding_taxes_amount_cents, n.taxes_amount_cents, n.total_amount_cents,
      n.credit_amount_cents, n.balance_amount_cents, n.taxes_rate, n.credit_status]), [[2900, 580, 3480, 3480, 3480, 20, 'available']]);
    const one = (await ok(base, 'GET', `/api/v1/credit_notes/${notes[0].lago_id}`)).credit_note;
    const start = (await ok(base, 'GET', `/api/v1/invoices/${one.lago_invoice_id}`)).invoice;
    const fee = start.fees.find((f) => f.item.type === 'subscription');
    assert.deepEqual(one.items.map((it) => [it.amount_cents, it.fee?.lago_id ?? it.lago_fee_id]), [[2900, fee.lago_id]]);
  });
});
