// tariff for Node (CommonJS; index.mjs re-exports this file so both flavours share one
// TariffError class). Finds tariff.mjs + tariff.wasm beside this package (dist/, where
// scripts/build-wasm.sh copies them) or in the repository's build-wasm/ (the fresher wins), reads
// the wasm bytes with readFileSync (Emscripten 3.1.6 cannot fetch a file path in Node).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

class TariffError extends Error {
  constructor(document) {
    const parts = Object.entries(document.error_details || {})
      .map(([p, codes]) => `${p}: ${[].concat(codes).join(', ')}`);
    super(`${document.status} ${document.code}` + (parts.length ? ` (${parts.join('; ')})` : ''));
    this.name = 'TariffError';
    this.status = document.status;
    this.code = document.code;
    this.details = document.error_details || {};
    this.document = document;
  }
}

function locate(dir) {
  const candidates = dir ? [path.resolve(dir)]
    : [path.join(__dirname, 'dist'), path.join(__dirname, '..', 'build-wasm')];
  // In a repository both may exist; the freshest build wins (dist/ can be a stale copy).
  let best = null;
  let bestTime = -1;
  for (const d of candidates) {
    const wasm = path.join(d, 'tariff.wasm');
    if (!fs.existsSync(path.join(d, 'tariff.mjs')) || !fs.existsSync(wasm)) continue;
    const t = fs.statSync(wasm).mtimeMs;
    if (t > bestTime) { best = d; bestTime = t; }
  }
  if (best) return best;
  throw new Error(`tariff: tariff.mjs/tariff.wasm not found in ${candidates.join(', ')}; ` +
    'run `npm run build` first');
}

async function createTariff(options = {}) {
  const dir = locate(options.wasmDir);
  const [factory, core] = await Promise.all([
    import(pathToFileURL(path.join(dir, 'tariff.mjs')).href),
    import('./lib/core.mjs'),
  ]);
  const wasmBinary = fs.readFileSync(path.join(dir, 'tariff.wasm'));
  const mod = await factory.default({ wasmBinary });
  // A fresh instance from the same bytes gives a grown memory back (lib/core.mjs).
  const renew = () => factory.default({ wasmBinary });
  return core.bindTariff(mod, TariffError, { renew, ...options });
}

exports.createTariff = createTariff;
exports.TariffError = TariffError;
