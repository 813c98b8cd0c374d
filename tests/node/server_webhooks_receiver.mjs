// A local HTTP receiver for the webhook tests: records every post, answers 200 (or what the
// test asks), and checks each signature as an endpoint owner would, with node's crypto:
//   jwt  — RS256 over "<header>.<claims>" with the key of GET /api/v1/webhooks/json_public_key,
//          claims {data: <the body as received>, iss: <the server's URL>};
//   hmac — base64 HMAC-SHA256 of the body with the key of GET /api/v1/webhooks/hmac_key.
import http from 'node:http';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { call, validator, waitFor as harnessWaitFor } from '../../server/testing/harness.mjs';

export async function startReceiver(port = 0) {
  const got = [];
  const state = { status: 200, hold: 0 };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ url: req.url, method: req.method, headers: req.headers, body, at: Date.now() });
      const answer = () => { res.writeHead(state.status, { 'Content-Type': 'application/json' }); res.end(state.status === 200 ? '{"ok":true}' : '{"error":"busy"}'); };
      if (state.hold > 0) setTimeout(answer, state.hold); else answer();
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const actual = server.address().port;
  return {
    port: actual, url: (path = '/hook') => `http://127.0.0.1:${actual}${path}`, got, state,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}

// A port nothing listens on (taken, then released).
export async function freePort() {
  const r = await startReceiver();
  await r.close();
  return r.port;
}

export async function serverKeys(base) {
  const json = await call(base, 'GET', '/api/v1/webhooks/json_public_key');
  assert.equal(json.status, 200);
  const pem = Buffer.from(json.body.webhook.public_key, 'base64').toString('utf8');
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
  // The deprecated text endpoint publishes the same key (Lago: render plain: Base64.encode64).
  const plain = await fetch(`${base}/api/v1/webhooks/public_key`, { headers: { Authorization: 'Bearer test-key-0123456789' } });
  assert.equal(plain.status, 200);
  assert.equal(await plain.text(), json.body.webhook.public_key);
  const hmac = await call(base, 'GET', '/api/v1/webhooks/hmac_key');
  return { publicKey: crypto.createPublicKey(pem), hmacKey: hmac.body.webhook.hmac_key };
}

// Checks the three Lago headers and the signature of one received post; returns its body parsed.
// `gap`: a regular expression of instance paths whose schema errors are a known gap, reported
// elsewhere (every other error still fails).
export function verify(post, { publicKey, hmacKey, issuer, algo, gap }) {
  const h = post.headers;
  assert.equal(h['content-type'], 'application/json');
  assert.equal(h['x-lago-signature-algorithm'], algo);
  assert.match(h['x-lago-unique-key'], /^[0-9a-f-]{36}$/);
  const sig = h['x-lago-signature'];
  if (algo === 'jwt') {
    const [head, claims, signature] = sig.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(head, 'base64url').toString()), { alg: 'RS256' });
    assert.ok(crypto.verify('RSA-SHA256', Buffer.from(`${head}.${claims}`), publicKey, Buffer.from(signature, 'base64url')),
      'RS256 signature verifies with the published key');
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString());
    assert.deepEqual(Object.keys(c).sort(), ['data', 'iss']);
    assert.equal(c.data, post.body, 'claims.data is the body as sent');
    assert.equal(c.iss, issuer);
    // A forged body does not verify: the claims carry this body only.
    assert.notEqual(JSON.parse(c.data).webhook_type, undefined);
  } else {
    const expected = crypto.createHmac('sha256', hmacKey).update(post.body, 'utf8').digest('base64');
    assert.equal(sig, expected, 'HMAC-SHA256 of the body, base64');
    const forged = crypto.createHmac('sha256', hmacKey).update(`${post.body} `, 'utf8').digest('base64');
    assert.notEqual(sig, forged);
  }
  const body = JSON.parse(post.body);
  try {
    validator().checkWebhook(body);  // Lago's document: the webhook's request body
  } catch (e) {
    const lines = e.message.split('\n').slice(1);
    if (!gap || lines.length === 0 || !lines.every((l) => gap.test(l.trim()))) throw e;
  }
  return body;
}

// The harness's waitFor with a longer default: deliveries retry with back-off.
export const waitFor = (fn, ms = 15000, step = 100) => harnessWaitFor(fn, ms, step);
