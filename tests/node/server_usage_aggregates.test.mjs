// tariff-server pre-aggregated usage (docs/usage_aggregates.md): current usage, projected
// usage and the preview read aggregates maintained at ingestion (plus raw events of the
// quarter-hour holding `now`), and answer exactly what the engine answers on every raw event
// of the customer (the /snapshot endpoint, run through the CLI); a refused duplicate adds
// nothing to them. Totals also worked out by hand from the catalog (catalog.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, runCli, postCatalog } from '../../server/testing/harness.mjs';
import * as c from '../../server/testing/catalog.mjs';

const SUB = c.SUB;
const event = (id, code, ts, properties) => ({ transaction_id: id, external_subscription_id: SUB, code, timestamp: ts, properties });

// 300 eu + 200 us api_calls and 100 storage events of 0.5 GB in March (before now), and 6
// events in the quarter-hour of now (12:00–12:14:59, read raw): 3 eu api_calls, 3 × 1 GB.
function events() {
  const out = [];
  const march = Date.parse('2024-03-01T00:00:00Z') / 1000;
  for (let i = 0; i < 300; i++) out.push(event(`eu-${i}`, 'api_calls', march + i * 3001, { region: 'eu' }));
  for (let i = 0; i < 200; i++) out.push(event(`us-${i}`, 'api_calls', march + i * 4999, { region: 'us' }));
  for (let i = 0; i < 100; i++) out.push(event(`gb-${i}`, 'storage', march + i * 7001, { gb: '0.5' }));
  for (let i = 0; i < 3; i++) out.push(event(`now-eu-${i}`, 'api_calls', `2024-03-15T12:0${i}:30Z`, { region: 'eu' }));
  for (let i = 0; i < 3; i++) out.push(event(`now-gb-${i}`, 'storage', `2024-03-15T11:59:5${i}Z`, { gb: 1 }));
  return out;
}

async function ok(base, method, path, body) {
  const r = await call(base, method, path, { body });
  assert.equal(r.status, 200, `${method} ${path}: ${r.text}`);
  return r;
}

async function rawSnapshot(base, request) {
  const r = await ok(base, 'GET', `/api/v1/customers/${c.CUSTOMER}/snapshot?external_subscription_id=${SUB}`);
  assert.equal(r.body.usage_aggregates, undefined);  // the snapshot endpoint gives raw events
  return { ...r.body, request };
}

test('usage from aggregates equals the engine on raw events, by hand too', async () => {
  const db = tempDb();
  const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
  try {
    await postCatalog(srv.base, { status: 200 });
    const all = events();
    for (let i = 0; i < all.length; i += 100) await ok(srv.base, 'POST', '/api/v1/events/batch', { events: all.slice(i, i + 100) });
    assert.equal((await ok(srv.base, 'POST', '/api/v1/events', { event: event('single', 'api_calls', '2024-03-03T03:03:03Z', { region: 'us' }) })).status, 200);

    const usagePath = `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${SUB}`;
    const current = await ok(srv.base, 'GET', usagePath);
    // By hand: api_calls eu (2 + 300 + 3) × 0.05 = 15.25; default bucket (1 + 200 + 1) × 0.02
    // = 4.04; storage 13 + 100 × 0.5 + 3 × 1 = 66 GB → 10 × 1 + (66 − 11 + 1) × 0.5 + 2 = 40;
    // 1525 + 404 + 4000 = 5929 cents; tax round(5929 × 20 %) = round(1185.8) = 1186.
    assert.equal(current.body.customer_usage.amount_cents, 5929);
    assert.equal(current.body.customer_usage.taxes_amount_cents, 1186);
    const raw = runCli('current_usage', await rawSnapshot(srv.base, { external_subscription_id: SUB }));
    assert.equal(raw.code, 0, raw.stdout);
    assert.equal(current.text, raw.stdout);

    const projected = await ok(srv.base, 'GET', `/api/v1/customers/${c.CUSTOMER}/projected_usage?external_subscription_id=${SUB}`);
    const rawProjected = runCli('projected_usage', await rawSnapshot(srv.base, { external_subscription_id: SUB }));
    assert.equal(projected.text, rawProjected.stdout);

    const preview = await ok(srv.base, 'POST', '/api/v1/invoices/preview', c.previewBody);
    const rawPreview = JSON.parse(runCli('preview', await rawSnapshot(srv.base, c.previewBody)).stdout).invoices[0];
    for (const k of ['fees_amount_cents', 'taxes_amount_cents', 'total_amount_cents'])
      assert.equal(preview.body.invoice[k], rawPreview[k], k);
    assert.deepEqual(preview.body.invoice.fees, rawPreview.fees);
    // 5000 subscription + 5929 charges.
    assert.equal(preview.body.invoice.fees_amount_cents, 10929);

    // A batch repeating a stored transaction id is refused whole: the usage does not move.
    const dup = await call(srv.base, 'POST', '/api/v1/events/batch', { body: { events: [
      event('fresh-1', 'api_calls', '2024-03-05T00:00:00Z', { region: 'eu' }), event('eu-7', 'api_calls', '2024-03-05T00:00:00Z', { region: 'eu' })] } });
    assert.equal(dup.status, 422);
    const single = await call(srv.base, 'POST', '/api/v1/events', { body: { event: event('eu-8', 'api_calls', '2024-03-05T00:00:00Z', { region: 'eu' }) } });
    assert.equal(single.status, 422);
    assert.equal((await ok(srv.base, 'GET', usagePath)).text, current.text);
  } finally {
    await srv.stop();
    db.remove();
  }
});

test('usage from whole local days in a +5:45 zone, and after the zone changes', async () => {
  const db = tempDb();
  const srv = await startServer({ db: db.path, args: ['--now', c.NOW, '--rate-limit', '0', '--no-billing'] });
  try {
    await postCatalog(srv.base, { customer: { customer: { ...c.customer.customer, timezone: 'Asia/Kathmandu' } }, events: false, status: 200 });
    // Events every 47 minutes from Feb 27 (before the period in any zone) to March 15.
    const start = Date.parse('2024-02-27T00:00:00Z') / 1000;
    const all = Array.from({ length: 500 }, (_, i) => event(`k-${i}`, i % 3 ? 'api_calls' : 'storage', start + i * 47 * 60,
      i % 3 ? { region: i % 2 ? 'eu' : 'us' } : { gb: `${i % 7}.5` }));
    const compare = async () => {
      const current = await ok(srv.base, 'GET', `/api/v1/customers/${c.CUSTOMER}/current_usage?external_subscription_id=${SUB}`);
      const raw = runCli('current_usage', await rawSnapshot(srv.base, { external_subscription_id: SUB }));
      assert.equal(current.text, raw.stdout);
      return current.body.customer_usage;
    };
    for (let i = 0; i < 300; i += 100) await ok(srv.base, 'POST', '/api/v1/events/batch', { events: all.slice(i, i + 100) });
    const before = await compare();
    assert.equal(before.from_datetime, '2024-02-29T18:15:00Z');  // March 1st, 00:00 in Kathmandu (+5:45)
    await ok(srv.base, 'POST', '/api/v1/customers', { customer: { ...c.customer.customer, timezone: 'America/St_Johns' } });
    for (let i = 300; i < 500; i += 100) await ok(srv.base, 'POST', '/api/v1/events/batch', { events: all.slice(i, i + 100) });
    const after = await compare();
    assert.equal(after.from_datetime, '2024-03-01T03:30:00Z');  // March 1st, 00:00 in St. John's (−3:30)
  } finally {
    await srv.stop();
    db.remove();
  }
});
