// The native CLI's `tariff check` and `tariff impact` as CI runs them: arguments, stdout,
// exit codes (0 pass, 1 a case failed, 2 a case cannot be read), the JUnit file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBin, root } from '../../server/testing/harness.mjs';

const tariff = (...args) => {
  const r = spawnSync(cliBin, args, { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const lines = (s) => s.trimEnd().split('\n');

test('check: the example catalog passes; a changed expectation fails with its path', () => {
  let r = tariff('check', 'examples/pricing-tests');
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(lines(r.out), ['12 passed, 0 failed']);

  const dir = mkdtempSync(join(tmpdir(), 'tariff-check-'));
  try {
    for (const f of readdirSync(join(root, 'examples/pricing-tests')).filter((f) => f.endsWith('.json')))
      writeFileSync(join(dir, f), readFileSync(join(root, 'examples/pricing-tests', f)));
    const c = JSON.parse(readFileSync(join(dir, 'growth_two_tiers.json'), 'utf8'));
    c.expect.invoices[0].fees[1].amount_cents = 1700;  // 17.50 is right; 17.00 is not
    writeFileSync(join(dir, 'growth_two_tiers.json'), JSON.stringify(c));
    r = tariff('check', dir, '--junit', join(dir, 'out.xml'));
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(lines(r.out), [
      `FAIL ${dir}/growth_two_tiers.json (${c.name}): invoices[0].fees[1].amount_cents: expected 1700, got 1750`,
      '11 passed, 1 failed',
    ]);
    const xml = readFileSync(join(dir, 'out.xml'), 'utf8');
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    assert.match(xml, /<testsuite name="tariff check" package="tariff" id="0" tests="12" failures="1" errors="0" skipped="0" time="[\d.]+" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d" hostname="[^"]+">/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 12);
    assert.equal((xml.match(/<failure message="invoices\[0\]\.fees\[1\]\.amount_cents: expected 1700, got 1750" type="mismatch">/g) ?? []).length, 1);
    for (const el of ['<properties/>', '<system-out/>', '<system-err/>', '</testsuite>', '</testsuites>'])
      assert.ok(xml.includes(el), el);

    // A case that cannot be read wins over a failure: exit 2.
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, 'more', 'broken.json'), '{"name": "half');
    r = tariff('check', dir);
    assert.equal(r.code, 2, r.out);
    assert.ok(lines(r.out).includes(`ERROR ${dir}/more/broken.json: not JSON`), r.out);
    assert.equal(lines(r.out).at(-1), '11 passed, 2 failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(tariff('check').code, 64);
  assert.equal(tariff('check', 'no/such/dir').code, 2);
});

test('check: the golden corpus runs through it', () => {
  const r = tariff('check', 'tests/golden');
  assert.equal(r.code, 0, r.out);
  assert.match(lines(r.out).at(-1), /^\d{3,} passed, 0 failed$/);
});

test('impact: JSON and table for the example catalog; bad input is an error document', () => {
  let r = tariff('impact', '--plans', 'examples/impact/plans_new.json', 'examples/impact/customers');
  assert.equal(r.code, 0, r.out + r.err);
  const doc = JSON.parse(r.out);
  assert.deepEqual(doc.customers.map((c) => c.delta_amount_cents), [500, -400, -500, -600, 0]);
  assert.deepEqual(doc.summary, { customers: 5, increased: 1, decreased: 3, unchanged: 1,
    old_total_amount_cents: 37850, new_total_amount_cents: 36850, delta_amount_cents: -1000 });

  r = tariff('impact', '--format', 'table', '--plans', 'examples/impact/plans_new.json',
    'examples/impact/customers/cus_d.json', 'examples/impact/customers/cus_a.json');
  assert.equal(r.code, 0);
  const t = lines(r.out);
  assert.match(t[0], /^external_customer_id +old_total_amount_cents  new_total_amount_cents  delta_amount_cents$/);
  assert.match(t[2], /^cus_d +13100 +12500 +-600$/);   // input order
  assert.match(t[3], /^cus_a +2200 +2700 +\+500$/);
  assert.match(t[5], /^total \(2: 1 increased, 1 decreased, 0 unchanged\) +15300 +15200 +-100$/);

  r = tariff('impact', '--plans', 'examples/pricing-tests/README.md', 'examples/impact/customers');
  assert.equal(r.code, 2);
  assert.equal(JSON.parse(r.out).code, 'bad_request');
  assert.equal(tariff('impact', 'examples/impact/customers').code, 64);
});
