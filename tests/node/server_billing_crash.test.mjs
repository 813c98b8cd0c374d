// Crash safety of billing: `tariff-server bill` over 1,000 customers is killed with SIGKILL in
// the middle of its run, then run again. Every invoice exists exactly once and every state
// change happened exactly once, none half-applied (a job's invoice, wallet debit, wallet
// transaction, subscription activation and ledger row are one transaction).
//
// Each customer: m_adv (3100/month in advance, calendar) starting 2024-01-01, a wallet of 50
// credits (5000 cents). Billing up to 2024-03-01 issues, per customer:
//   01-01 start  3100, all of it from the wallet (5000 → 1900): total 0
//   02-01        3100, the wallet's last 1900: total 1200
//   03-01        3100, wallet empty: total 3100
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, tempDb, call, serverBin, sqlQuery, ok, allInvoices } from '../../server/testing/harness.mjs';

const N = 1000;
const BEFORE = '2023-12-15T00:00:00Z';
const AT = '2024-03-01T00:00:00Z';
// SQLite on tmpfs when there is one (harness.mjs tempDb: the same test; spares 4,000 fsyncs).
const db = tempDb({ tmpfs: true });
after(() => db.remove());
// Invoices committed so far, read beside the running writer (either store).
const committed = () => Number(sqlQuery(db.path, "SELECT count(*) FROM docs WHERE kind = 'invoice'").stdout.trim() || 0);

const readAll = allInvoices;

test('SIGKILL in the middle of a billing run of 1,000 subscriptions, then a rerun: everything exactly once', async (t) => {
  const setup0 = Date.now();
  let srv = await startServer({ db: db.path, args: ['--now', BEFORE, '--rate-limit', '0'] });
  const wallets = [];
  try {
    await ok(srv.base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(srv.base, 'POST', '/api/v1/plans', { plan: { name: 'm', code: 'm_adv', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
    for (let i = 0; i < N; i++) {
      const c = `c${i}`;
      await ok(srv.base, 'POST', '/api/v1/customers', { customer: { external_id: c, name: c, currency: 'USD' } });
      await ok(srv.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: c, external_id: `s${i}`, plan_code: 'm_adv', subscription_at: '2024-01-01T00:00:00Z' } });
      const w = await ok(srv.base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: c, rate_amount: '1', currency: 'USD', granted_credits: '50' } });
      wallets.push(w.wallet.lago_id);
    }
  } finally { await srv.stop(); }

  t.diagnostic(`setup: ${N} customers, subscriptions and wallets in ${Date.now() - setup0} ms`);
  // The run, killed part-way (its invoices are counted below to show it was mid-run).
  const t0 = Date.now();
  const child = spawn(serverBin, ['bill', '--db', db.path, '--at', AT], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  // Killed 300 ms after a few dozen invoices are committed: mid-run on a fast machine as on a
  // slow one (a whole run takes seconds).
  while (child.exitCode === null && committed() < 30)
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  const ex = await exited;
  assert.equal(ex.signal, 'SIGKILL', 'the run ended before the kill: make it longer');

  srv = await startServer({ db: db.path, args: ['--now', BEFORE, '--rate-limit', '0'] });  // nothing due then
  let partial;
  try { partial = (await readAll(srv.base)).length; } finally { await srv.stop(); }
  t.diagnostic(`killed after ${Date.now() - t0} ms with ${partial} of ${3 * N} invoices issued`);
  assert.ok(partial > 0 && partial < 3 * N, `not mid-run: ${partial} invoices`);

  const rerun0 = Date.now();
  const rerun = spawnSync(serverBin, ['bill', '--db', db.path, '--at', AT], { encoding: 'utf8' });
  t.diagnostic(`rerun: ${rerun.stdout.trim()} in ${Date.now() - rerun0} ms`);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.equal(JSON.parse(rerun.stdout).invoices, 3 * N - partial);

  srv = await startServer({ db: db.path, args: ['--now', AT, '--rate-limit', '0'] });
  try {
    const invoices = await readAll(srv.base);
    assert.equal(invoices.length, 3 * N);
    const byCustomer = new Map();
    for (const inv of invoices) {
      const k = inv.customer.external_id;
      if (!byCustomer.has(k)) byCustomer.set(k, []);
      byCustomer.get(k).push(inv);
    }
    assert.equal(byCustomer.size, N);
    assert.equal(new Set(invoices.map((i) => i.number)).size, 3 * N, 'invoice numbers are unique');
    for (const [k, list] of byCustomer) {
      list.sort((a, b) => a.sequential_id - b.sequential_id);
      assert.deepEqual(list.map((i) => [i.sequential_id, i.issuing_date, i.total_amount_cents]),
        [[1, '2024-01-01', 0], [2, '2024-02-01', 1200], [3, '2024-03-01', 3100]], k);
    }
    for (const id of wallets.filter((_, i) => i % 50 === 0)) {  // 20 wallets, debits exactly once
      const w = (await ok(srv.base, 'GET', `/api/v1/wallets/${id}`)).wallet;
      assert.equal(w.balance_cents, 0);
      const tx = (await ok(srv.base, 'GET', `/api/v1/wallets/${id}/wallet_transactions`)).wallet_transactions;
      // Lago's WalletTransactionObject: the amount as decimal text (3100 cents = "31.0").
      assert.deepEqual(tx.filter((x) => x.transaction_type === 'outbound').map((x) => x.amount), ['31.0', '19.0']);
    }
    const subs = (await ok(srv.base, 'GET', '/api/v1/subscriptions?per_page=2000')).subscriptions;
    assert.equal(subs.length, N, 'every subscription active');
  } finally { await srv.stop(); }
});

test('the server itself killed during its start-up billing, then restarted: April and May once each', async (t) => {
  // The server bills what is due at its clock before it listens: 2 × 1,000 periodic invoices
  // (04-01, 05-01: 3100 each, the wallets are empty). Killed part-way through that catch-up.
  const args = ['--host', '127.0.0.1', '--port', '0', '--db', db.path, '--now', '2024-05-01T00:00:00Z'];
  const child = spawn(serverBin, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TARIFF_API_KEYS: 'k' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const count0 = committed();
  while (child.exitCode === null && committed() < count0 + 30)
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 200));
  const listening = out.includes('listening');
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
  assert.ok(!listening, 'killed after the catch-up finished: make the wait shorter');

  const srv = await startServer({ db: db.path, args: ['--now', '2024-05-01T00:00:00Z', '--rate-limit', '0'], timeoutMs: 120000 });
  try {
    const invoices = await readAll(srv.base);
    assert.equal(invoices.length, 5 * N);
    const later = invoices.filter((i) => i.issuing_date >= '2024-04-01');
    assert.equal(later.length, 2 * N);
    assert.ok(later.every((i) => i.total_amount_cents === 3100 && i.sequential_id >= 4), 'April and May, 3100 each');
    const keys = new Set(later.map((i) => `${i.customer.external_id} ${i.issuing_date}`));
    assert.equal(keys.size, 2 * N, 'one invoice per customer and period');
    t.diagnostic(`${invoices.length} invoices after the restart`);
  } finally { await srv.stop(); }
});
