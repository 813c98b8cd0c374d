// Customer portal tokens (issue 11 §3): GET /customers/{id}/portal_url answers Lago's
// {"customer": {"portal_url"}} with a customer-scoped, expiring, read-only HMAC token in its
// `token` parameter. Proven here over HTTP against the real server on the seeded store
// (examples/seed: customers acme and globex, billed on start so both have invoices):
//   - the URL carries no API key, and the token is no key;
//   - the token opens acme's snapshot, usage, invoices and wallets (the same bytes the key gets);
//   - it opens nothing else: globex's data, other resources, any write, minting another URL;
//   - forged (another key), tampered (payload or signature), truncated and expired tokens,
//     and tokens of a deleted-then-recreated customer get 401;
//   - the signing key is kept in the store: a token outlives a restart, another store refuses it;
//   - --demo refuses a non-loopback host and says it serves loopback only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, tempDb, call, serverBin, root, API_KEY } from '../../server/testing/harness.mjs';

const SEED = join(root, 'examples', 'seed');
const NOW = '2026-03-15T10:00:00Z';
const NOW_S = Date.parse(NOW) / 1000;
let srv, db;
const b64 = (s) => Buffer.from(s).toString('base64url');
const unb64 = (s) => Buffer.from(s, 'base64url').toString('utf8');

async function portalUrl(base, customer, key = API_KEY) {
  const r = await call(base, 'GET', `/api/v1/customers/${customer}/portal_url`, { key });
  assert.equal(r.status, 200, r.text);
  return new URL(r.body.customer.portal_url);
}
const tokenOf = (url) => url.searchParams.get('token');
// A raw request with a bearer token (not through call(): some of these paths are tariff's own).
async function get(base, path, token, init = {}) {
  const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`,
    ...(init.body ? { 'Content-Type': 'application/json' } : {}) } });
  return { status: res.status, text: await res.text() };
}

before(async () => {
  db = tempDb();
  // Billing runs on start at NOW: the seeded subscriptions (started 75 and 90 days before)
  // get their past invoices, so both customers have an invoice history.
  srv = await startServer({ db: db.path, args: ['--seed', SEED, '--now', NOW] });
});
after(async () => { await srv?.stop(); db?.remove(); });

test('portal_url: Lago\'s shape, the page with a token, never the API key', async () => {
  const url = await portalUrl(srv.base, 'acme');
  assert.equal(`${url.origin}${url.pathname}`, `${srv.base}/web/index.html`);
  assert.deepEqual([...url.searchParams.keys()], ['token']);
  const token = tokenOf(url);
  assert.ok(!url.href.includes(API_KEY), 'the URL does not carry the API key');
  const [prefix, payload, sig] = token.split('.');
  assert.equal(prefix, 'tpt1');
  const claims = JSON.parse(unb64(payload));
  assert.equal(claims.sub, 'acme');
  assert.equal(claims.scope, 'portal:read');
  assert.equal(claims.exp, NOW_S + 12 * 3600, 'Lago\'s 12 hours');
  const customer = (await call(srv.base, 'GET', '/api/v1/customers/acme')).body.customer;
  assert.equal(claims.cid, customer.lago_id);
  // HMAC-SHA256: 32 bytes of signature.
  assert.equal(Buffer.from(sig, 'base64url').length, 32);
  assert.ok(!JSON.stringify(claims).includes(API_KEY));

  const unknown = await call(srv.base, 'GET', '/api/v1/customers/nobody/portal_url');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'customer_not_found');
  const noKey = await call(srv.base, 'GET', '/api/v1/customers/acme/portal_url', { key: null });
  assert.equal(noKey.status, 401);
});

test('the token reads its customer\'s snapshot, usage, invoices and wallets, as the key does', async () => {
  const token = tokenOf(await portalUrl(srv.base, 'acme'));
  const invoices = JSON.parse((await get(srv.base, '/api/v1/invoices?external_customer_id=acme', API_KEY)).text).invoices;
  assert.ok(invoices.length >= 2, `acme was billed on start (${invoices.length} invoices)`);
  const wallets = (await call(srv.base, 'GET', '/api/v1/wallets?external_customer_id=acme')).body.wallets;
  assert.equal(wallets.length, 1);
  const paths = [
    '/api/v1/customers/acme/snapshot',
    '/api/v1/customers/acme/snapshot?external_subscription_id=acme-growth',
    '/api/v1/customers/acme/current_usage?external_subscription_id=acme-growth',
    '/api/v1/customers/acme/projected_usage?external_subscription_id=acme-growth',
    '/api/v1/customers/acme/past_usage?external_subscription_id=acme-growth',
    '/api/v1/invoices?external_customer_id=acme',
    `/api/v1/invoices/${invoices[0].lago_id}`,
    '/api/v1/wallets?external_customer_id=acme',
    `/api/v1/wallets/${wallets[0].lago_id}`,
    `/api/v1/wallets/${wallets[0].lago_id}/wallet_transactions`,
  ];
  for (const p of paths) {
    const withToken = await get(srv.base, p, token);
    const withKey = await get(srv.base, p, API_KEY);
    assert.equal(withKey.status, 200, `${p}: ${withKey.text}`);
    assert.equal(withToken.status, 200, `${p} with the token: ${withToken.text}`);
    assert.equal(withToken.text, withKey.text, `${p}: the token reads what the key reads`);
  }
  // A 404 inside the customer's scope stays a 404 (an unknown subscription of acme's).
  const r = await get(srv.base, '/api/v1/customers/acme/current_usage?external_subscription_id=nope', token);
  assert.equal(r.status, 404);
});

test('the token opens nothing else: another customer, other resources, any write', async () => {
  const token = tokenOf(await portalUrl(srv.base, 'acme'));
  const other = JSON.parse((await get(srv.base, '/api/v1/invoices?external_customer_id=globex', API_KEY)).text).invoices;
  assert.ok(other.length >= 1, 'globex has invoices');
  const otherWallets = (await call(srv.base, 'GET', '/api/v1/wallets?external_customer_id=acme')).body.wallets;
  const before = await Promise.all(['/api/v1/customers/acme', '/api/v1/subscriptions/acme-growth',
    '/api/v1/invoices?external_customer_id=acme', '/api/v1/wallets?external_customer_id=acme']
    .map(async (p) => (await get(srv.base, p, API_KEY)).text));
  const refused = [
    ['GET', '/api/v1/customers/globex/snapshot'],
    ['GET', '/api/v1/customers/globex/current_usage?external_subscription_id=globex-starter'],
    ['GET', '/api/v1/customers/globex/projected_usage?external_subscription_id=globex-starter'],
    ['GET', '/api/v1/customers/globex/past_usage?external_subscription_id=globex-starter'],
    ['GET', '/api/v1/invoices?external_customer_id=globex'],
    ['GET', '/api/v1/invoices?external_customer_id=acme&external_customer_id=globex'],
    ['GET', '/api/v1/invoices'],
    [`GET`, `/api/v1/invoices/${other[0].lago_id}`],
    ['GET', '/api/v1/wallets?external_customer_id=globex'],
    ['GET', '/api/v1/wallets'],
    ['GET', '/api/v1/customers/acme/portal_url'],  // no minting of further tokens
    ['GET', '/api/v1/customers/acme'],
    ['GET', '/api/v1/customers'],
    ['GET', '/api/v1/customers/acme/subscriptions'],
    ['GET', '/api/v1/customers/acme/applied_coupons'],
    ['GET', '/api/v1/subscriptions/acme-growth'],
    ['GET', '/api/v1/plans'],
    ['GET', '/api/v1/coupons'],
    ['GET', '/api/v1/organizations'],
    ['GET', '/api/v1/events?external_subscription_id=acme-growth'],
    ['GET', '/api/v1/credit_notes?external_customer_id=acme'],
    ['POST', '/api/v1/events', { event: { transaction_id: 'portal-1', external_subscription_id: 'acme-growth',
      code: 'api_requests', properties: { region: 'eu' } } }],
    ['POST', '/api/v1/invoices/preview', { customer: { external_id: 'acme' } }],
    ['POST', '/api/v1/wallet_transactions', { wallet_transaction: { wallet_id: otherWallets[0].lago_id, paid_credits: '10' } }],
    ['PUT', `/api/v1/invoices/${other[0].lago_id}`, { invoice: { payment_status: 'succeeded' } }],
    ['POST', '/api/v1/customers', { customer: { external_id: 'acme', name: 'Mallory' } }],
    ['DELETE', '/api/v1/subscriptions/acme-growth'],
    ['DELETE', '/api/v1/customers/acme'],
  ];
  for (const [method, path, body] of refused) {
    const r = await get(srv.base, path, token, { method, body: body && JSON.stringify(body) });
    assert.equal(r.status, 401, `${method} ${path} with acme's token: ${r.text}`);
    assert.deepEqual(JSON.parse(r.text), { status: 401, error: 'Unauthorized' });
  }
  // Another customer's subscription named on acme's own paths reads nothing of it.
  const cross = await get(srv.base, '/api/v1/customers/acme/current_usage?external_subscription_id=globex-starter', token);
  assert.equal(cross.status, 404, cross.text);
  const snap = JSON.parse((await get(srv.base, '/api/v1/customers/acme/snapshot?external_subscription_id=globex-starter', token)).text);
  assert.equal(snap.customer.external_id, 'acme');
  assert.deepEqual(snap.events, []);
  const { request, ...state } = snap;  // (the request echoes the id asked for)
  assert.deepEqual(request, { external_subscription_id: 'globex-starter' });
  assert.ok(!JSON.stringify(state).includes('globex'), 'nothing of globex in acme\'s snapshot');
  const after = await Promise.all(['/api/v1/customers/acme', '/api/v1/subscriptions/acme-growth',
    '/api/v1/invoices?external_customer_id=acme', '/api/v1/wallets?external_customer_id=acme']
    .map(async (p) => (await get(srv.base, p, API_KEY)).text));
  assert.deepEqual(after, before, 'nothing changed');
});

test('forged, tampered and truncated tokens get 401', async () => {
  const token = tokenOf(await portalUrl(srv.base, 'acme'));
  const [prefix, payload, sig] = token.split('.');
  const claims = JSON.parse(unb64(payload));
  const snapshot = '/api/v1/customers/acme/snapshot';
  const globexSnapshot = '/api/v1/customers/globex/snapshot';
  assert.equal((await get(srv.base, snapshot, token)).status, 200, 'the genuine token works');

  // Signed with another key, otherwise well formed.
  const forgedPart = `${prefix}.${payload}`;
  const forged = `${forgedPart}.${createHmac('sha256', randomBytes(32)).update(forgedPart).digest('base64url')}`;
  // The payload changed (another customer, a later expiry, a wider scope), the signature kept.
  const retarget = (c) => `${prefix}.${b64(JSON.stringify(c))}.${sig}`;
  const flipped = Buffer.from(sig, 'base64url');
  flipped[0] ^= 1;
  const cases = {
    forged: [forged, snapshot],
    'customer changed': [retarget({ ...claims, sub: 'globex' }), globexSnapshot],
    'expiry extended': [retarget({ ...claims, exp: claims.exp + 3600 }), snapshot],
    'scope changed': [retarget({ ...claims, scope: 'admin' }), snapshot],
    'signature bit flipped': [`${prefix}.${payload}.${flipped.toString('base64url')}`, snapshot],
    'signature dropped': [`${prefix}.${payload}`, snapshot],
    'empty signature': [`${prefix}.${payload}.`, snapshot],
    'signature padded': [`${token}=`, snapshot],
    'prefix only': ['tpt1.', snapshot],
    'no payload': [`tpt1..${sig}`, snapshot],
    'other prefix': [`tpt2.${payload}.${sig}`, snapshot],
    'unsigned alg none': [`tpt1.${payload}.${b64('')}`, snapshot],
  };
  for (const [label, [t, path]] of Object.entries(cases)) {
    const r = await get(srv.base, path, t);
    assert.equal(r.status, 401, `${label}: ${r.text}`);
  }
  // Without the Bearer scheme the token is not read at all.
  const raw = await fetch(srv.base + snapshot, { headers: { Authorization: token } });
  assert.equal(raw.status, 401);
});

test('a deleted customer\'s token dies with it, also when the external_id is reused', async () => {
  await call(srv.base, 'POST', '/api/v1/customers', { body: { customer: { external_id: 'temp', name: 'Temp', currency: 'EUR' } } });
  const token = tokenOf(await portalUrl(srv.base, 'temp'));
  assert.equal((await get(srv.base, '/api/v1/customers/temp/snapshot', token)).status, 200);
  assert.equal((await call(srv.base, 'DELETE', '/api/v1/customers/temp')).status, 200);
  assert.equal((await get(srv.base, '/api/v1/customers/temp/snapshot', token)).status, 401);
  await call(srv.base, 'POST', '/api/v1/customers', { body: { customer: { external_id: 'temp', name: 'Other', currency: 'EUR' } } });
  assert.equal((await get(srv.base, '/api/v1/customers/temp/snapshot', token)).status, 401,
    'a new customer under the same external_id is not the one the token was issued for');
});

test('tokens expire; the signing key is kept in the store (a restart keeps it, another store has its own)', async () => {
  const d = tempDb();
  const other = tempDb();
  const servers = [];
  const start = async (dbPath, now, extra = []) => {
    const s = await startServer({ db: dbPath, args: ['--seed', SEED, '--now', now, '--no-billing', ...extra] });
    servers.push(s);
    return s;
  };
  try {
    const at = (s) => new Date((NOW_S + s) * 1000).toISOString().replace('.000Z', 'Z');
    let s = await start(d.path, at(0), ['--portal-ttl', '600']);
    const token = tokenOf(await portalUrl(s.base, 'acme'));
    assert.equal(JSON.parse(unb64(token.split('.')[1])).exp, NOW_S + 600);
    assert.equal((await get(s.base, '/api/v1/customers/acme/snapshot', token)).status, 200);
    await s.stop();
    // Restarted on the same store 599 s later: the key was kept, the token still opens.
    s = await start(d.path, at(599));
    assert.equal((await get(s.base, '/api/v1/customers/acme/snapshot', token)).status, 200);
    await s.stop();
    // At its expiry and after: refused.
    for (const t of [600, 601, 86400]) {
      s = await start(d.path, at(t));
      const r = await get(s.base, '/api/v1/customers/acme/snapshot', token);
      assert.equal(r.status, 401, `${t} s after issue: ${r.text}`);
      await s.stop();
    }
    // Another store (same seed, same customer external_id) never issued it: refused there,
    // whether or not that store has a signing key of its own yet.
    s = await start(other.path, at(1));
    assert.equal((await get(s.base, '/api/v1/customers/acme/snapshot', token)).status, 401);
    tokenOf(await portalUrl(s.base, 'acme'));  // creates that store's key
    assert.equal((await get(s.base, '/api/v1/customers/acme/snapshot', token)).status, 401);
    await s.stop();
  } finally {
    for (const s of servers) await s.stop();
    d.remove();
    other.remove();
  }
});

test('--demo listens on loopback only and says so', async () => {
  const d = tempDb();
  try {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      const r = spawnSync(serverBin, ['--demo', '--host', host, '--port', '0', '--db', d.path],
        { encoding: 'utf8', timeout: 10_000, env: { ...process.env, TARIFF_API_KEYS: API_KEY } });
      assert.equal(r.status, 64, `--demo --host ${host} must refuse to start: ${r.stderr}`);
      assert.match(r.stderr, /--demo .*loopback only/);
    }
    const s = await startServer({ db: d.path, args: ['--demo', '--no-billing', '--seed', SEED] });
    try {
      const snap = await call(s.base, 'GET', '/demo/snapshot', { key: null });
      assert.equal(snap.status, 200);
      assert.match(s.stderr(), /demo mode: .*without a key.*loopback/);
    } finally {
      await s.stop();
    }
  } finally {
    d.remove();
  }
});

test('--portal-url names the page the link opens', async () => {
  const d = tempDb();
  try {
    const s = await startServer({ db: d.path, args: ['--seed', SEED, '--no-billing', '--portal-url', 'https://billing.example.com/portal?lang=fr'] });
    try {
      const url = await portalUrl(s.base, 'globex');
      assert.equal(`${url.origin}${url.pathname}`, 'https://billing.example.com/portal');
      assert.deepEqual([...url.searchParams.keys()], ['lang', 'token']);
      assert.equal((await get(s.base, '/api/v1/customers/globex/snapshot', tokenOf(url))).status, 200);
    } finally {
      await s.stop();
    }
  } finally {
    d.remove();
  }
});
