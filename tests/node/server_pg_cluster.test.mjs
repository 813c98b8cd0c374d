// Two tariff-server processes on one PostgreSQL database (store.hpp, pg_store.cpp): the clock's
// billing jobs run once, ingestion of the same events through both stays idempotent, and
// concurrent read-modify-writes of one document lose no update. Always on PostgreSQL
// (TARIFF_TEST_STORE's cluster, or a private one the harness starts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, tempDb, call, serverBin, sqlQuery, ok, waitFor } from '../../server/testing/harness.mjs';

const dbs = [];
after(() => { for (const d of dbs) d.remove(); });
const freshDb = () => { const d = tempDb({ kind: 'postgresql' }); dbs.push(d); return d; };

const sql = (db, q) => {
  const r = sqlQuery(db.path, q);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

async function pair(db, args) {
  const a = await startServer({ db: db.path, args });
  try { return [a, await startServer({ db: db.path, args })]; } catch (e) { await a.stop(); throw e; }
}

test('two servers billing on their clocks: every invoice issued once, numbers unique', async () => {
  const db = freshDb();
  const N = 20;
  const setup = await startServer({ db: db.path, args: ['--now', '2023-12-01T00:00:00Z', '--no-billing', '--rate-limit', '0'] });
  try {
    await ok(setup.base, 'POST', '/api/v1/plans', { plan: { name: 'm', code: 'm_adv', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
    for (let i = 0; i < N; i++) {
      await ok(setup.base, 'POST', '/api/v1/customers', { customer: { external_id: `k${i}`, currency: 'USD' } });
      await ok(setup.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: `k${i}`, external_id: `sk${i}`, plan_code: 'm_adv', subscription_at: '2024-01-01T00:00:00Z' } });
    }
  } finally { await setup.stop(); }

  // Both start at once at 04-01: each bills what is due before it listens, then every second.
  // Due per customer: the start (01-01, paid in advance: 3100) and 02-01, 03-01, 04-01 = 4.
  const [a, b] = await Promise.all([
    startServer({ db: db.path, args: ['--now', '2024-04-01T00:00:00Z', '--rate-limit', '0'] }),
    startServer({ db: db.path, args: ['--now', '2024-04-01T00:00:00Z', '--rate-limit', '0'] }),
  ]);
  // One `tariff-server bill` run on the same store: {code, out} (out: its JSON summary).
  const run = (at) => new Promise((done) => {
    const c = spawn(serverBin, ['bill', '--db', db.path, '--at', at], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('exit', (code) => done({ code, out: JSON.parse(out || '{}') }));
  });
  try {
    // Every invoice due is issued (polled: one server bills before it listens, the other may
    // find the lock taken and bill on its clock's tick) ...
    const count = (kind) => sql(db, `SELECT count(*) FROM docs WHERE kind = '${kind}'`);
    const issued = await waitFor(async () => count('invoice') === String(4 * N) && count('job') === String(4 * N), 30000);
    assert.ok(issued, `after 30 s: ${count('invoice')} invoices and ${count('job')} jobs, expected ${4 * N} of each`);
    // ... and nothing is due any more: a billing run at the same instant, beside both servers'
    // clocks, finds every job in the ledger and issues nothing again.
    const again = await run('2024-04-01T00:00:00Z');
    assert.deepEqual([again.code, again.out.invoices], [0, 0]);
    assert.equal(sql(db, "SELECT count(*) FROM docs WHERE kind = 'invoice'"), String(4 * N));
    assert.equal(sql(db, "SELECT count(DISTINCT json_extract(body, '$.number')) FROM docs WHERE kind = 'invoice'"), String(4 * N));
    assert.equal(sql(db, "SELECT count(*) FROM docs WHERE kind = 'job'"), String(4 * N), 'one ledger row per job');
    for (const srv of [a, b]) {
      const inv = (await ok(srv.base, 'GET', '/api/v1/invoices?external_customer_id=k7&per_page=100')).invoices;
      assert.deepEqual(inv.map((i) => [i.sequential_id, i.issuing_date, i.total_amount_cents]).sort(),
        [[1, '2024-01-01', 3100], [2, '2024-02-01', 3100], [3, '2024-03-01', 3100], [4, '2024-04-01', 3100]]);
    }
  } finally { await Promise.all([a.stop(), b.stop()]); }

  // Two `bill` runs at once (no turn-taking between them: the write lock and the ledger alone).
  const [x, y] = await Promise.all([run('2024-06-01T00:00:00Z'), run('2024-06-01T00:00:00Z')]);
  assert.deepEqual([x.code, y.code], [0, 0]);
  assert.equal(x.out.invoices + y.out.invoices, 2 * N, '05-01 and 06-01 per customer, shared by the runs');
  assert.equal(sql(db, "SELECT count(*) FROM docs WHERE kind = 'invoice'"), String(6 * N));
  assert.equal(sql(db, "SELECT count(DISTINCT json_extract(body, '$.number')) FROM docs WHERE kind = 'invoice'"), String(6 * N));
});

test('the same events sent through both servers at once are stored once', async () => {
  const db = freshDb();
  const [a, b] = await pair(db, ['--now', '2024-03-15T12:00:00Z', '--no-billing', '--rate-limit', '0']);
  try {
    await ok(a.base, 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
    await ok(a.base, 'POST', '/api/v1/plans', { plan: { name: 'p', code: 'p', interval: 'monthly', amount_cents: 0, amount_currency: 'USD', pay_in_advance: false,
      charges: [{ billable_metric_code: 'calls', charge_model: 'standard', properties: { amount: '1' } }] } });
    await ok(b.base, 'POST', '/api/v1/customers', { customer: { external_id: 'c', currency: 'USD' } });
    await ok(b.base, 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'c', external_id: 's', plan_code: 'p', subscription_at: '2024-03-01T00:00:00Z' } });
    // 3,000 distinct events, each batch of 100 sent to both servers at once, twice over. A
    // batch naming a stored event is refused whole (422, nothing stored): of each pair one is
    // stored, the other refused; the second round is refused entirely.
    const batches = [];
    for (let i = 0; i < 30; i++)
      batches.push(Array.from({ length: 100 }, (_, j) => ({ transaction_id: `t${i * 100 + j}`, external_subscription_id: 's', code: 'calls', timestamp: '2024-03-10T00:00:00Z' })));
    for (let round = 0; round < 2; round++) {
      const statuses = await Promise.all(batches.map((events) => Promise.all([a, b].map((s) => call(s.base, 'POST', '/api/v1/events/batch', { body: { events } })))));
      for (const pairOf of statuses)
        assert.deepEqual(pairOf.map((r) => r.status).sort(), round === 0 ? [200, 422] : [422, 422]);
    }
    for (const srv of [a, b]) {
      const list = await ok(srv.base, 'GET', '/api/v1/events?external_subscription_id=s&per_page=1');
      assert.equal(list.meta.total_count, 3000);
      const usage = (await ok(srv.base, 'GET', '/api/v1/customers/c/current_usage?external_subscription_id=s')).customer_usage;
      assert.equal(usage.charges_usage[0].units, '3000.0');
      assert.equal(usage.amount_cents, 300000);  // 3000 calls × 1.00
    }
    assert.equal(sql(db, 'SELECT count(*) FROM events'), '3000');
    // One event sent to both at once: one is stored, the other answers "already exists".
    const both = await Promise.all([a, b].map((s) => call(s.base, 'POST', '/api/v1/events', { body: { event: { transaction_id: 'once', external_subscription_id: 's', code: 'calls', timestamp: '2024-03-11T00:00:00Z' } } })));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 422]);
    assert.equal(sql(db, "SELECT count(*) FROM events WHERE transaction_id = 'once'"), '1');
  } finally { await Promise.all([a.stop(), b.stop()]); }
});

test('concurrent updates of one document through both servers lose nothing', async () => {
  const db = freshDb();
  const [a, b] = await pair(db, ['--now', '2024-03-15T12:00:00Z', '--no-billing', '--rate-limit', '0']);
  try {
    await ok(a.base, 'POST', '/api/v1/customers', { customer: { external_id: 'w', currency: 'USD' } });
    const wallet = (await ok(a.base, 'POST', '/api/v1/wallets', { wallet: { external_customer_id: 'w', rate_amount: '1', currency: 'USD', paid_credits: '0' } })).wallet;
    // 2 × 60 top-ups of 1 credit each, half through each server, all in flight together:
    // each reads the wallet's balance and writes it back + 1.
    const topUp = (s) => ok(s.base, 'POST', '/api/v1/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, granted_credits: '1' } });
    await Promise.all(Array.from({ length: 120 }, (_, i) => topUp(i % 2 ? a : b)));
    for (const srv of [a, b]) {
      const w = (await ok(srv.base, 'GET', `/api/v1/wallets/${wallet.lago_id}`)).wallet;
      assert.equal(w.credits_balance, '120.0');
      assert.equal(w.balance_cents, 12000);  // 120 credits × 1.00
    }
    // Customers created through both at once: sequential ids 1..60 with none twice (a counter
    // document read and written by each creation).
    await Promise.all(Array.from({ length: 59 }, (_, i) => ok((i % 2 ? a : b).base, 'POST', '/api/v1/customers', { customer: { external_id: `n${i}`, currency: 'USD' } })));
    const customers = (await ok(b.base, 'GET', '/api/v1/customers?per_page=100')).customers;
    assert.deepEqual(customers.map((c) => c.sequential_id).sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1));
  } finally { await Promise.all([a.stop(), b.stop()]); }
});
