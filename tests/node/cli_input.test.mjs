// The CLI reads its snapshot from a file, stdin, a pipe given as a path (/dev/stdin), a process
// substitution (`tariff preview <(cat FILE)`, through bash) and a FIFO, and answers the same
// bytes for each; an unreadable path is refused with exit 66.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'build/tariff');
const example = join(root, 'examples/preview_proposal.json');

function run(args, opts = {}) {
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fromFile() {
  assert.ok(existsSync(cli), `${cli} is missing: build it first (scripts/build native)`);
  const r = run(['preview', example]);
  assert.equal(r.code, 0, r.stderr);
  // A real preview, so that the comparisons below compare something.
  assert.ok(Array.isArray(JSON.parse(r.stdout).invoices));
  return r;
}

test('stdin ("-" and no path) equals the file', () => {
  const file = fromFile();
  const input = readFileSync(example);
  assert.deepEqual(run(['preview', '-'], { input }), file);
  assert.deepEqual(run(['preview'], { input }), file);
});

test('a pipe given as a path (/dev/stdin) equals the file', () => {
  const file = fromFile();
  const r = spawnSync('bash', ['-c', 'cat "$2" | "$1" preview /dev/stdin', 'bash', cli, example],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, file.stdout);
});

test('process substitution <(cat FILE) equals the file', () => {
  const file = fromFile();
  const r = spawnSync('bash', ['-c', '"$1" preview <(cat "$2")', 'bash', cli, example],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, file.stdout);
});

test('a FIFO equals the file; an error document still comes back through a pipe', async () => {
  const file = fromFile();
  const dir = mkdtempSync(join(tmpdir(), 'tariff-fifo-'));
  try {
    const fifo = join(dir, 'snapshot');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // The writer blocks until the CLI opens the FIFO for reading.
    const writer = spawn('bash', ['-c', 'cat "$1" > "$2"', 'bash', example, fifo]);
    const r = run(['preview', fifo]);
    await new Promise((resolve) => writer.on('close', resolve));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, file.stdout);

    const bad = spawnSync('bash', ['-c', '"$1" preview <(printf "{")', 'bash', cli],
      { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(JSON.parse(bad.stdout).status, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable path is refused with exit 66', () => {
  const r = run(['preview', join(root, 'no/such/snapshot.json')]);
  assert.equal(r.code, 66);
  assert.match(r.stderr, /cannot read/);
});
