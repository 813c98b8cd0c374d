// Crash safety of draft finalization: `tariff-server bill` finalizing 400 drafts at the end of
// their grace period is killed with SIGKILL part-way, then run again. Every draft is finalized
// exactly once (one number, one coupon use, one wallet debit), none half-applied.
//
// Organization grace 3 days. Each customer: m_arr (3100/month in arrears, calendar) from
// 2024-01-01, a once 1000 coupon, a wallet of 50 credits (5000 cents).
//   bill --at 02-01  January's draft: 3100, nothing consumed, issued 02-04 (deadline 02-04)
//   bill --at 02-04  finalized: 3100 − 1000 coupon = 2100, all from the wallet (5000 → 2900): total 0
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, tempDb, call, serverBin, sqlQuery, ok, allInvoices } from '../../server/testing/harness.mjs';

const N = 400;
const BEFORE = '2023-12-15T00:00:00Z';
// The store the run selects (harness.mjs tempDb: SQLite on tmpfs when there is one, or a fresh
// PostgreSQL database under TARIFF_TEST_STORE).
const db = tempDb({ tmpfs: true });
after(() => db.remove());
// Drafts finalized so far, read beside the running finalizer (either store).
const finalizedNow = () => Number(sqlQuery(db.path,
  "SELECT count(*) FROM docs WHERE kind = 'invoice' AND json_extract(body, '$.status') = 'finalized'").stdout.trim() || 0);

const readAll = allInvoices;

test('SIGKILL while 400 drafts are finalized at the end of their grace period, then a rerun: each once', async (t) => {
  let srv = await startServer({ db: db.path, args: ['--now', BEFORE, '--rate-limit', '0'] });
  const wallets = [];
  try {
    await ok(srv.base, 'PUT', '/api/v1/organizations', { organization: { billing_configuration: { invoice_grace_period: 3 } } });
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: 'm', code: 'm_arr', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: false, charges: [] } });
    await ok(srv.base, 'POST', '/api/v1/coupons', { coupon: { name: 'Ten', code: 'ten', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'USD', frequency: 'once', expiration: 'no_expiration' } });
    for (let i = 0; i < N; i++) {
      const c = `c${i}`;
      await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: c, name: c, currency: 'USD' } });
      await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: c, external_id: `s${i}`, plan_code: 'm_arr', subscription_at: '2024-01-01T00:00:00Z' } });
      await ok(srv.base, 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: c, coupon_code: 'ten' } });
      const w = await ok(srv.base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: c, rate_amount: '1', currency: 'USD', granted_credits: '50' } });
      wallets.push(w.wallet.lago_id);
    }
  } finally { await srv.stop(); }

  const drafts = spawnSync(serverBin, ['bill', '--db', db.path, '--at', '2024-02-01T00:00:00Z'], { encoding: 'utf8' });
  assert.equal(drafts.status, 0, drafts.stderr);
  assert.equal(JSON.parse(drafts.stdout).invoices, N);

  const child = spawn(serverBin, ['bill', '--db', db.path, '--at', '2024-02-04T00:00:00Z'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  // Killed once a few drafts are finalized: mid-run on a fast machine as on a slow one.
  while (child.exitCode === null && finalizedNow() < 10)
    await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL', 'the run ended before the kill: make it longer');

  srv = await startServer({ db: db.path, args: ['--now', '2024-02-01T00:00:00Z', '--rate-limit', '0'] });  // before the deadline
  let finalized;
  try { finalized = (await readAll(srv.base)).filter((i) => i.status === 'finalized').length; } finally { await srv.stop(); }
  t.diagnostic(`killed with ${finalized} of ${N} drafts finalized`);
  assert.ok(finalized > 0 && finalized < N, `not mid-run: ${finalized} finalized`);

  const rerun = spawnSync(serverBin, ['bill', '--db', db.path, '--at', '2024-02-04T00:00:00Z'], { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.equal(JSON.parse(rerun.stdout).invoices, N - finalized);

  srv = await startServer({ db: db.path, args: ['--now', '2024-02-04T00:00:00Z', '--rate-limit', '0'] });
  try {
    const invoices = await readAll(srv.base);
    assert.equal(invoices.length, N, 'one invoice per customer');
    assert.equal(new Set(invoices.map((i) => i.number)).size, N, 'numbers unique');
    for (const inv of invoices)
      assert.deepEqual([inv.status, inv.issuing_date, inv.fees_amount_cents, inv.coupons_amount_cents, inv.prepaid_credit_amount_cents, inv.total_amount_cents],
        ['finalized', '2024-02-04', 3100, 1000, 2100, 0], inv.customer.external_id);
    for (const id of wallets.filter((_, i) => i % 40 === 0)) {  // 10 wallets: debited exactly once
      const w = (await ok(srv.base, 'GET', `/api/v1/wallets/${id}`)).wallet;
      assert.equal(w.balance_cents, 2900);
      const tx = (await ok(srv.base, 'GET', `/api/v1/wallets/${id}/wallet_transactions`)).wallet_transactions;
      assert.deepEqual(tx.filter((x) => x.transaction_type === 'outbound').map((x) => x.amount), ['21.0']);
    }
    const coupons = (await ok(srv.base, 'GET', '/api/v1/applied_coupons?per_page=1000')).applied_coupons;
    assert.deepEqual([...new Set(coupons.map((c) => c.status))], ['terminated']);
  } finally { await srv.stop(); }
});
