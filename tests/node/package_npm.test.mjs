// The npm package outside the repository (issue 11 §5). `npm pack` in node/ (its prepack puts
// the WASM engine and the LICENSE inside), the tarball installed into an empty temporary
// project, then used as a stranger would:
//   - from ESM and from CommonJS, under Node's permission model allowing reads of that project
//     only (so the package provably looks up no path outside itself; a control read outside
//     must be refused);
//   - type-checked from a .mts (import → index.d.mts) and a .cts (require → index.d.cts) file
//     with tsc (nodenext), and a wrong use rejected in each (the types are read, not `any`);
//   - bundled for the browser with esbuild (the "browser" condition) and run in Chromium.
// examples/current_usage.json worked by hand: 150 + 250 + 1500 + 3600 = 5500, 20 % VAT → 6600.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_DIR = join(ROOT, 'node');
const WASM_DIR = process.env.TARIFF_WASM_DIR ?? join(ROOT, 'build-wasm');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const ESBUILD = join(ROOT, 'node_modules', '.bin', 'esbuild');
const NAME = 'tariff-engine';
const WANT = '6600';

let work, proj, tarball;
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

before(() => {
  for (const f of [join(WASM_DIR, 'tariff.wasm'), TSC, ESBUILD, CHROMIUM]) {
    if (!existsSync(f)) throw new Error(`missing ${f} (scripts/setup; scripts/build wasm)`);
  }
  work = mkdtempSync(join(tmpdir(), 'tariff-pack-'));
  // npm pack runs prepack (node/prepack.mjs): dist/ and LICENSE from the repository.
  const out = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], { cwd: NODE_DIR,
    env: { ...process.env, TARIFF_WASM_DIR: WASM_DIR } }));
  tarball = join(work, out[0].filename);
  proj = join(work, 'project');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: proj });
  copyFileSync(join(ROOT, 'examples', 'current_usage.json'), join(proj, 'snapshot.json'));
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

test('the tarball: the WASM engine, both type flavours, the LICENSE', () => {
  const files = sh('tar', ['-tzf', tarball]).trim().split('\n').sort();
  for (const f of ['dist/tariff.mjs', 'dist/tariff.wasm', 'index.mjs', 'index.cjs', 'browser.mjs', 'lib/core.mjs',
    'index.d.ts', 'index.d.mts', 'index.d.cts', 'LICENSE', 'README.md', 'package.json']) {
    assert.ok(files.includes(`package/${f}`), `${f} is packed: ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => /test|prepack|examples|tsconfig/.test(f)), `only what users need: ${files}`);
  const installed = join(proj, 'node_modules', NAME);
  assert.deepEqual(readFileSync(join(installed, 'dist', 'tariff.wasm')), readFileSync(join(WASM_DIR, 'tariff.wasm')));
  const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
  assert.equal(license, readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} tariff contributors\n/);
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(pkg.name, NAME);
  assert.equal(pkg.license, 'MIT');
  assert.equal(pkg.exports['.'].import.types, './index.d.mts');
  assert.equal(pkg.exports['.'].require.types, './index.d.cts');
  // No shipped JavaScript names a place outside the package.
  for (const f of ['index.cjs', 'index.mjs', 'browser.mjs', 'lib/core.mjs']) {
    const text = readFileSync(join(installed, f), 'utf8').replace(/^\s*\/\/.*$/gm, '');  // code, not comments
    assert.doesNotMatch(text, /build-wasm|\.\.\//, `${f} reaches outside the package`);
  }
});

// Node with reads allowed inside the project only.
function confined(args) {
  return spawnSync(process.execPath, ['--experimental-permission', `--allow-fs-read=${proj}/*`, '--no-warnings', ...args],
    { cwd: proj, encoding: 'utf8', env: { PATH: process.env.PATH } });
}

test('ESM and CommonJS, reading nothing outside the project', () => {
  writeFileSync(join(proj, 'esm.mjs'), [
    "import { readFileSync } from 'node:fs';",
    `import { createTariff, TariffError } from '${NAME}';`,
    'const t = await createTariff();',
    "const usage = t.currentUsage(readFileSync('snapshot.json', 'utf8'));",
    'let err; try { t.preview({}); } catch (e) { err = e; }',
    "console.log(usage.customer_usage.total_amount_cents, err instanceof TariffError, err.status);", ''].join('\n'));
  writeFileSync(join(proj, 'cjs.cjs'), [
    "const { readFileSync } = require('node:fs');",
    `const { createTariff, TariffError } = require('${NAME}');`,
    'createTariff().then((t) => {',
    "  const usage = t.currentUsage(readFileSync('snapshot.json', 'utf8'));",
    '  let err; try { t.preview({}); } catch (e) { err = e; }',
    "  console.log(usage.customer_usage.total_amount_cents, err instanceof TariffError, err.status);",
    '});', ''].join('\n'));
  for (const f of ['esm.mjs', 'cjs.cjs']) {
    const r = confined([f]);
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), `${WANT} true 422`, f);
  }
  // The confinement is real: a read outside the project is refused.
  const control = confined(['-e', `require('node:fs').readFileSync(${JSON.stringify(join(ROOT, 'LICENSE'))})`]);
  assert.notEqual(control.status, 0);
  assert.match(control.stderr, /ERR_ACCESS_DENIED/);
});

test('types: index.d.mts for import, index.d.cts for require', () => {
  const good = {
    'use.mts': [`import { createTariff, TariffError, type Tariff } from '${NAME}';`,
      'export async function total(s: string): Promise<number> {',
      '  const t: Tariff = await createTariff();',
      '  try { return t.currentUsage(s).customer_usage.total_amount_cents; }',
      '  catch (e) { if (e instanceof TariffError) return e.status; throw e; } }', ''],
    'use.cts': [`import tariff = require('${NAME}');`,
      'export async function total(s: string): Promise<number> {',
      '  const t: tariff.Tariff = await tariff.createTariff({ fastPath: true });',
      '  return t.currentUsage(s).customer_usage.total_amount_cents; }', ''],
  };
  const bad = {
    'bad.mts': [`import { createTariff } from '${NAME}';`,
      "export const s: Promise<string> = createTariff().then((t) => t.currentUsage('{}').customer_usage.total_amount_cents);", ''],
    'bad.cts': [`import tariff = require('${NAME}');`,
      "export const s: Promise<string> = tariff.createTariff().then((t) => t.currentUsage('{}').customer_usage.total_amount_cents);", ''],
  };
  const tsc = (files) => {
    for (const [f, lines] of Object.entries(files)) writeFileSync(join(proj, f), lines.join('\n'));
    return spawnSync(TSC, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--strict', '--noEmit', '--skipLibCheck', 'false', '--types', '', ...Object.keys(files)], { cwd: proj, encoding: 'utf8' });
  };
  const ok = tsc(good);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // The resolution is the one each flavour should get.
  const trace = spawnSync(TSC, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--noEmit', '--types', '',
    '--traceResolution', 'use.mts', 'use.cts'], { cwd: proj, encoding: 'utf8' }).stdout;
  assert.match(trace, new RegExp(`'${NAME}' was successfully resolved to '[^']*node_modules/${NAME}/index\\.d\\.mts'`));
  assert.match(trace, new RegExp(`'${NAME}' was successfully resolved to '[^']*node_modules/${NAME}/index\\.d\\.cts'`));
  for (const [f, lines] of Object.entries(bad)) {
    const r = tsc({ [f]: lines });
    assert.notEqual(r.status, 0, `${f}: tsc accepted a number as a string`);
    assert.match(r.stdout, /TS2322/, f);
  }
});

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
function serve(dir) {
  const server = createServer((req, res) => {
    const file = join(dir, new URL(req.url, 'http://x').pathname.replace(/^\/+/, '') || 'index.html');
    if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

test('bundled with esbuild for the browser, it runs in Chromium', { timeout: 120_000 }, async () => {
  writeFileSync(join(proj, 'page.mjs'), [
    `import { createTariff } from '${NAME}';`,
    "import snapshot from './snapshot.json';",
    "const t = await createTariff({ wasmUrl: './tariff.wasm' });",
    'document.body.dataset.total = String(t.currentUsage(snapshot).customer_usage.total_amount_cents);', ''].join('\n'));
  const site = join(proj, 'site');
  mkdirSync(site);
  const r = spawnSync(ESBUILD, ['page.mjs', '--bundle', '--format=esm', '--platform=browser', `--outfile=${join(site, 'page.js')}`],
    { cwd: proj, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const bundle = readFileSync(join(site, 'page.js'), 'utf8');
  assert.match(bundle, /node_modules\/tariff-engine\/browser\.mjs/, 'the browser entry was bundled');
  copyFileSync(join(proj, 'node_modules', NAME, 'dist', 'tariff.wasm'), join(site, 'tariff.wasm'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>t</title><script type="module" src="page.js"></script>');
  const server = await serve(site);
  const profile = mkdtempSync(join(tmpdir(), 'tariff-chromium-'));
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForSelector('body[data-total]', { state: 'attached', timeout: 30_000 });
    assert.equal(await page.getAttribute('body', 'data-total'), WANT);
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
