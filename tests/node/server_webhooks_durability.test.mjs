// Webhook delivery under failure: a receiver that is down (connection refused), then answers
// 503, then 200 (exponential back-off, nothing lost); a limit of attempts and a retry by hand;
// SIGKILL of the server with webhooks recorded but not delivered, and during a post (nothing
// lost; a webhook posted twice carries the same X-Lago-Unique-Key and the same body); webhooks
// recorded by `tariff-server bill` (no server running) delivered by the next server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, tempDb, call, serverBin, API_KEY, ok } from '../../server/testing/harness.mjs';
import { startReceiver, freePort, serverKeys, verify, waitFor } from './server_webhooks_receiver.mjs';

const T0 = '2024-01-10T00:00:00Z';
const FAST = ['--webhook-retry-base', '0.2', '--webhook-retry-max', '1'];

async function catalog(base, url) {
  await ok(base, 'POST', '/api/v1/webhook_endpoints', { webhook_endpoint: { webhook_url: url, signature_algo: 'hmac' } });
  await ok(base, 'POST', '/api/v1/plans', { plan: { name: 'P', code: 'p', interval: 'monthly', amount_cents: 3100, amount_currency: 'USD', pay_in_advance: true, charges: [] } });
}
const subscribe = (base, id) => ok(base, 'POST', '/api/v1/subscriptions',
  { subscription: { external_customer_id: `c_${id}`, external_id: id, plan_code: 'p', subscription_at: '2024-01-01T00:00:00Z' } });
const log = async (base) => (await ok(base, 'GET', '/api/v1/webhooks?per_page=1000')).webhooks;

// Posts grouped by X-Lago-Unique-Key; every post of one key has the same body.
function byKey(posts) {
  const m = new Map();
  for (const p of posts) {
    const k = p.headers['x-lago-unique-key'];
    if (m.has(k)) assert.equal(p.body, m.get(k)[0].body, 'a webhook posted again is the same body');
    m.set(k, [...(m.get(k) ?? []), p]);
  }
  return m;
}

test('receiver down, then failing, then back: back-off, every webhook delivered', async () => {
  const db = tempDb();
  const port = await freePort();
  const srv = await startServer({ db: db.path, args: ['--no-billing', '--now', T0, ...FAST] });
  let rx;
  try {
    const base = srv.base;
    const keys = await serverKeys(base);
    await catalog(base, `http://127.0.0.1:${port}/hook`);
    const subs = [];
    for (const id of ['s1', 's2', 's3']) subs.push((await subscribe(base, id)).subscription.lago_id);
    // Down: connection refused, retried with back-off (0.2 s, 0.4 s, 0.8 s, then 1 s at most).
    assert.ok(await waitFor(async () => (await log(base)).every((w) => w.retries >= 3), 10000));
    let l = await log(base);
    assert.equal(l.length, 3);
    for (const w of l) {
      assert.equal(w.status, 'retrying');
      assert.equal(w.http_status, null);
      assert.ok(w.response.length > 0, 'the transport error is recorded');
      assert.ok(Date.parse(w.next_attempt_at) >= Date.parse(w.last_retried_at), 'the next attempt is later');
    }
    // Up but answering 503: recorded with the status and body.
    rx = await startReceiver(port);
    rx.state.status = 503;
    assert.ok(await waitFor(async () => (await log(base)).every((w) => w.http_status === 503)));
    l = await log(base);
    assert.ok(l.every((w) => w.status === 'retrying' && w.response === '{"error":"busy"}'));
    // Back: each delivered.
    rx.state.status = 200;
    assert.ok(await waitFor(async () => (await log(base)).every((w) => w.status === 'succeeded'), 10000));
    const posts = byKey(rx.got);
    assert.deepEqual(new Set(posts.keys()), new Set(l.map((w) => w.lago_id)));
    const delivered = [...posts.values()].map((ps) => verify(ps.at(-1), { ...keys, issuer: base, algo: 'hmac' }));
    assert.deepEqual(delivered.map((b) => b.subscription.lago_id).sort(), subs.sort(), 'nothing lost');
    // Bounded back-off, not a busy loop: a few seconds down cost each webhook few posts.
    for (const w of await log(base)) assert.ok(w.retries >= 4 && w.retries <= 20, `retries ${w.retries}`);
  } finally {
    await srv.stop();
    await rx?.close();
    db.remove();
  }
});

test('a limit of attempts leaves a webhook failed; POST .../retry posts it again', async () => {
  const db = tempDb();
  const port = await freePort();
  const srv = await startServer({ db: db.path, args: ['--no-billing', '--now', T0, '--webhook-attempts', '2', ...FAST] });
  let rx;
  try {
    const base = srv.base;
    await catalog(base, `http://127.0.0.1:${port}/hook`);
    await subscribe(base, 's1');
    assert.ok(await waitFor(async () => (await log(base))[0]?.status === 'failed'));
    await new Promise((r) => setTimeout(r, 600));
    const [w] = await log(base);
    assert.equal(w.retries, 2, 'two posts, then failed');
    assert.equal(w.next_attempt_at, null);
    rx = await startReceiver(port);
    const again = await ok(base, 'POST', `/api/v1/webhooks/${w.lago_id}/retry`);
    assert.equal(again.webhook.lago_id, w.lago_id);
    assert.ok(await waitFor(async () => (await log(base))[0].status === 'succeeded'));
    assert.equal(rx.got.length, 1);
    assert.equal(rx.got[0].headers['x-lago-unique-key'], w.lago_id);
    assert.equal(rx.got[0].body, w.payload);
  } finally {
    await srv.stop();
    await rx?.close();
    db.remove();
  }
});

test('SIGKILL with webhooks recorded but not delivered, and during a post: nothing lost', async () => {
  const db = tempDb();
  const port = await freePort();
  const args = ['--no-billing', '--now', T0, ...FAST];
  let srv = await startServer({ db: db.path, args });
  let rx;
  try {
    await catalog(srv.base, `http://127.0.0.1:${port}/hook`);
    const subs = [];
    for (const id of ['s1', 's2', 's3']) subs.push((await subscribe(srv.base, id)).subscription.lago_id);
    // Acknowledged changes, receiver down: kill the server before anything is delivered.
    assert.equal((await srv.kill()).signal, 'SIGKILL');

    // Restart with the receiver up but slow: kill again while the first post is in flight.
    rx = await startReceiver(port);
    rx.state.hold = 5000;
    srv = await startServer({ db: db.path, args });
    assert.ok(await waitFor(() => rx.got.length >= 1));
    const inFlight = rx.got[0].headers['x-lago-unique-key'];
    assert.equal((await srv.kill()).signal, 'SIGKILL');

    rx.state.hold = 0;
    srv = await startServer({ db: db.path, args });
    const keys = await serverKeys(srv.base);
    assert.ok(await waitFor(async () => (await log(srv.base)).every((w) => w.status === 'succeeded')));
    const l = await log(srv.base);
    assert.equal(l.length, 3);
    const posts = byKey(rx.got);
    assert.deepEqual(new Set(posts.keys()), new Set(l.map((w) => w.lago_id)), 'duplicates only under the same key');
    assert.ok(posts.get(inFlight).length >= 2, 'the post cut by the kill is posted again, with the same key');
    const bodies = [...posts.values()].map((ps) => verify(ps.at(-1), { ...keys, issuer: srv.base, algo: 'hmac' }));
    assert.deepEqual(bodies.map((b) => b.subscription.lago_id).sort(), subs.sort());
  } finally {
    await srv.stop();
    await rx?.close();
    db.remove();
  }
});

test('webhooks recorded by `tariff-server bill` are delivered by the next server', async () => {
  const db = tempDb();
  const rx = await startReceiver();
  try {
    let srv = await startServer({ db: db.path, args: ['--no-billing', '--now', T0, ...FAST] });
    await catalog(srv.base, rx.url());
    await subscribe(srv.base, 's1');
    assert.ok(await waitFor(() => rx.got.length === 1));  // subscription.started
    await srv.stop();
    // No server: the operator's cron issues January's start invoice (in advance: 3100).
    const run = spawnSync(serverBin, ['bill', '--db', db.path, '--at', T0], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { jobs: 1, invoices: 1, failures: 0 });
    assert.equal(rx.got.length, 1, 'the cron posts nothing');
    srv = await startServer({ db: db.path, args: ['--no-billing', '--now', T0, ...FAST] });
    try {
      const keys = await serverKeys(srv.base);
      assert.ok(await waitFor(() => rx.got.length === 2));
      const body = verify(rx.got[1], { ...keys, issuer: srv.base, algo: 'hmac' });
      assert.equal(body.webhook_type, 'invoice.created');
      assert.equal(body.invoice.issuing_date, '2024-01-01');
      assert.equal(body.invoice.total_amount_cents, 3100);
    } finally {
      await srv.stop();
    }
  } finally {
    await rx.close();
    db.remove();
  }
});

test('a slow endpoint delays only itself', async () => {
  const db = tempDb();
  const slow = await startReceiver();
  const fast = await startReceiver();
  slow.state.hold = 4000;
  const srv = await startServer({ db: db.path, args: ['--no-billing', '--now', T0, ...FAST] });
  try {
    const base = srv.base;
    await catalog(base, slow.url());
    await ok(base, 'POST', '/api/v1/webhook_endpoints', { webhook_endpoint: { webhook_url: fast.url() } });
    const t0 = Date.now();
    await subscribe(base, 's1');
    await subscribe(base, 's2');
    assert.ok(await waitFor(() => slow.got.length >= 1));
    // While the slow receiver holds its first post, the other endpoint gets both webhooks.
    assert.ok(await waitFor(() => fast.got.length === 2, 3000), `fast got ${fast.got.length}`);
    assert.ok(Date.now() - t0 < 3500, 'not behind the slow endpoint');
    assert.equal(slow.got.length, 1, 'the slow endpoint\'s lane posts in order, one at a time');
    assert.ok(await waitFor(async () => (await log(base)).every((w) => w.status === 'succeeded'), 15000));
    assert.equal(slow.got.length, 2);
  } finally {
    await srv.stop();
    await slow.close();
    await fast.close();
    db.remove();
  }
});
