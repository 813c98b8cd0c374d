// Billing jobs: a job that fails for one subscription is recorded and retried without blocking
// the others; the running server bills on its own clock (a tick after a termination).
//
// The failure is made by hand in the stored row (sqlite3 or psql: harness sqlQuery): the subscription names a plan that
// does not exist, which no API call can produce — it stands for any row the engine refuses.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, tempDb, call, serverBin, sqlQuery, ok } from '../../server/testing/harness.mjs';

const db = tempDb();
after(() => db.remove());

const sql = (q) => {
  const r = sqlQuery(db.path, q);
  assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
  return r.stdout.trim();
};
const bill = (at) => {
  const r = spawnSync(serverBin, ['bill', '--db', db.path, '--at', at], { encoding: 'utf8' });
  return { status: r.status, out: JSON.parse(r.stdout || '{}'), stderr: r.stderr };
};

test('a failing subscription is recorded and retried; the others are billed', async () => {
  const srv = await startServer({ db: db.path, args: ['--now', '2024-01-10T00:00:00Z'] });
  try {
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: 'm', code: 'm_arr', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    for (const c of ['x', 'y', 'z']) {
      await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: c, currency: 'USD' } });
      await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: c, external_id: `s_${c}`, plan_code: 'm_arr', subscription_at: '2024-01-01T00:00:00Z' } });
    }
  } finally { await srv.stop(); }

  sql("UPDATE docs SET body = json_set(body, '$.plan_code', 'gone') WHERE kind = 'subscription' AND ref = 's_y'");
  // y fails; x and z get January's invoice (3100 in arrears, billed 02-01).
  let r = bill('2024-02-01T00:00:00Z');
  assert.equal(r.status, 3, 'exit 3: a job failed');
  assert.equal(r.out.failures, 1);
  assert.equal(r.out.invoices, 2);
  assert.equal(sql("SELECT json_extract(body, '$.external_subscription_id') || ' ' || json_extract(body, '$.attempts') FROM docs WHERE kind = 'billing_failure'"), 's_y 1');
  assert.match(sql("SELECT json_extract(body, '$.error') FROM docs WHERE kind = 'billing_failure'"), /plan/);
  r = bill('2024-02-01T00:00:00Z');  // retried, still failing, nothing else billed twice
  assert.deepEqual([r.status, r.out.invoices, r.out.failures], [3, 0, 1]);
  assert.equal(sql("SELECT json_extract(body, '$.attempts') FROM docs WHERE kind = 'billing_failure'"), '2');

  sql("UPDATE docs SET body = json_set(body, '$.plan_code', 'm_arr') WHERE kind = 'subscription' AND ref = 's_y'");
  r = bill('2024-02-01T00:00:00Z');
  assert.deepEqual([r.status, r.out.invoices, r.out.failures], [0, 1, 0]);
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'billing_failure'"), '0', 'the failure is cleared');
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'invoice'"), '3');
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'job'"), '6', 'a start (no invoice: arrears) and a period per subscription');
});

test('the running server bills on its tick: a termination gets its closing invoice without a restart', async () => {
  const srv = await startServer({ db: db.path, args: ['--now', '2024-02-16T00:00:00Z'] });
  try {
    await ok(srv.base, 'DELETE', '/api/v1/subscriptions/s_x');
    let invoices = [];
    for (let i = 0; i < 50 && invoices.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      invoices = (await ok(srv.base, 'GET', '/api/v1/invoices?external_customer_id=x')).invoices;
    }
    // 02-01: January 3100. 02-16 00:00 termination: Lago counts the termination day as used
    // (to_date − from_date + 1), February 1..16 = 16/29 × 3100 = 1710.3 → 1710.
    assert.deepEqual(invoices.map((i) => [i.issuing_date, i.total_amount_cents]).sort(), [['2024-02-01', 3100], ['2024-02-16', 1710]]);
  } finally { await srv.stop(); }
});

test('two billing runs at once on the same file: every invoice once', async () => {
  const db2 = tempDb();
  try {
    const srv = await startServer({ db: db2.path, args: ['--now', '2023-12-01T00:00:00Z', '--rate-limit', '0'] });
    try {
      await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: 'm', code: 'm_adv', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
      for (let i = 0; i < 30; i++) {
        await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: `k${i}`, currency: 'USD' } });
        await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: `k${i}`, external_id: `sk${i}`, plan_code: 'm_adv', subscription_at: '2024-01-01T00:00:00Z' } });
      }
    } finally { await srv.stop(); }
    const run = () => new Promise((done) => {
      const c = spawn(serverBin, ['bill', '--db', db2.path, '--at', '2024-04-01T00:00:00Z'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.on('exit', (code) => done({ code, out: JSON.parse(out) }));
    });
    const [a, b] = await Promise.all([run(), run()]);
    assert.deepEqual([a.code, b.code], [0, 0]);
    // 30 customers × (01-01 start + 02-01 + 03-01 + 04-01) = 120, shared between the two runs.
    assert.equal(a.out.invoices + b.out.invoices, 120);
    const q = (s) => sqlQuery(db2.path, s).stdout.trim();
    assert.equal(q("SELECT count(*) FROM docs WHERE kind = 'invoice'"), '120');
    assert.equal(q("SELECT count(DISTINCT json_extract(body, '$.number')) FROM docs WHERE kind = 'invoice'"), '120');
    assert.equal(q("SELECT max(json_extract(body, '$.sequential_id')) FROM docs WHERE kind = 'invoice'"), '4');
  } finally { db2.remove(); }
});

test('an event on a non-invoiceable charge paid in advance: its fee is kept, without an invoice', async () => {
  const srv = await startServer({ db: db.path, args: ['--now', '2024-02-16T00:00:00Z'] });
  try {
    await ok(srv.base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: 'ni', code: 'ni', interval: 'monthly', amount_cents: 0, amount_currency: 'USD', pay_in_advance: false,
      charges: [{ billable_metric_code: 'calls', charge_model: 'standard', pay_in_advance: true, invoiceable: false, properties: { amount: '2' } }] } });
    await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: 'n', currency: 'USD' } });
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'n', external_id: 's_n', plan_code: 'ni', subscription_at: '2024-02-01T00:00:00Z' } });
    await ok(srv.base, 'POST', '/api/v1/events', { event: { transaction_id: 'n1', external_subscription_id: 's_n', code: 'calls', timestamp: '2024-02-10T00:00:00Z' } });
  } finally { await srv.stop(); }
  const r = bill('2024-02-16T00:00:00Z');
  assert.equal(r.status, 0, r.stderr);
  // 1 call × 2.00 = 200, as a fee without invoice; the event's job is in the ledger once.
  assert.equal(sql("SELECT group_concat(json_extract(body, '$.amount_cents')) FROM docs WHERE kind = 'fee' AND owner = 'n'"), '200');
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'invoice' AND owner = 'n'"), '0');
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'job' AND key LIKE '%|in_advance_charge|n1'"), '1');
  assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'advance_job'"), '0', 'the queue is empty');
});

test('a downgrade back to the plan just left: billing ends the old plan, not its pending successor', async () => {
  const own = tempDb();
  const srv = await startServer({ db: own.path, args: ['--now', '2024-03-15T12:00:00Z'] });
  try {
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { code: 'basic', name: 'Basic', interval: 'monthly', amount_cents: 1000, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { code: 'premium', name: 'Premium', interval: 'yearly', amount_cents: 120000, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob', subscription_at: '2024-02-10T00:00:00Z' } });
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'premium', external_id: 'sub-bob' } });  // upgrade now
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'bob', plan_code: 'basic', external_id: 'sub-bob' } });  // downgrade at 2025-01-01
    // The upgrade's invoice (issued on the server's tick) names the basic plan that ended.
    const t0 = Date.now();
    let invoices = [];
    while (Date.now() - t0 < 8000) {
      invoices = (await ok(srv.base, 'GET', '/api/v1/invoices?external_customer_id=bob')).invoices;
      if (invoices.some((i) => i.issuing_date === '2024-03-15')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(invoices.some((i) => i.issuing_date === '2024-03-15'), JSON.stringify(invoices.map((i) => i.issuing_date)));
    const all = (await ok(srv.base, 'GET', '/api/v1/subscriptions?external_customer_id=bob&status[]=active&status[]=pending&status[]=terminated')).subscriptions;
    assert.deepEqual(all.map((s) => [s.plan_code, s.status, s.started_at, s.terminated_at]), [
      ['basic', 'terminated', '2024-02-10T00:00:00.000Z', '2024-03-15T12:00:00Z'],
      ['premium', 'active', '2024-03-15T12:00:00.000Z', null],
      ['basic', 'pending', null, null]]);
  } finally { await srv.stop(); own.remove(); }
});

test('a downgrade asked on 03-16 of a subscription started 01-01: earlier periods are billed without it', async () => {
  const own = tempDb();
  const srv = await startServer({ db: own.path, args: ['--now', '2024-03-16T00:00:00Z', '--no-billing'] });
  try {
    for (const [code, amount] of [['premium_arr', 6200], ['m_arr', 3100]])
      await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: code, code, interval: 'monthly', amount_cents: amount, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'e', external_id: 's_e', plan_code: 'premium_arr', subscription_at: '2024-01-01T00:00:00Z' } });
    await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'e', external_id: 's_e', plan_code: 'm_arr' } });
  } finally { await srv.stop(); }
  const r = spawnSync(serverBin, ['bill', '--db', own.path, '--at', '2024-05-01T00:00:00Z'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).failures, 0, r.stderr);
  const again = await startServer({ db: own.path, args: ['--now', '2024-05-01T00:00:00Z'] });
  try {
    // premium_arr in arrears: January, February, March 6200 each (issued 02-01, 03-01, 04-01);
    // the downgrade switches at 04-01; m_arr's April in arrears: 3100 on 05-01.
    const inv = (await ok(again.base, 'GET', '/api/v1/invoices?external_customer_id=e')).invoices;
    assert.deepEqual(inv.map((i) => [i.issuing_date, i.total_amount_cents]).sort(),
      [['2024-02-01', 6200], ['2024-03-01', 6200], ['2024-04-01', 6200], ['2024-05-01', 3100]]);
  } finally { await again.stop(); own.remove(); }
});
