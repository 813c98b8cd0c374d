// tariff for Node (CommonJS; index.mjs re-exports this file so both flavours share one
// TariffError class). Loads dist/tariff.mjs + tariff.wasm from inside this package (npm pack's
// prepack and scripts/build-wasm.sh put them there) and reads the wasm bytes with readFileSync
// (Emscripten 3.1.6 cannot fetch a file path in Node), compiled once per process. No path
// outside the package is looked up.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');

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

// Only inside the package (dist/), unless the caller names a directory: options.wasmDir, or
// TARIFF_WASM_DIR (a repository's build-wasm/ during development).
function locate(dir) {
  if (dir instanceof URL) dir = fileURLToPath(dir);
  const d = path.resolve(dir || process.env.TARIFF_WASM_DIR || path.join(__dirname, 'dist'));
  if (fs.existsSync(path.join(d, 'tariff.mjs')) && fs.existsSync(path.join(d, 'tariff.wasm'))) return d;
  throw new Error(`tariff: tariff.mjs/tariff.wasm not found in ${d}; in the repository run ` +
    '`npm run build`, or set TARIFF_WASM_DIR to the directory holding them');
}

// The compiled module, once per process and per tariff.wasm (path, size and mtime): a second
// createTariff, and the fresh instance that gives a grown memory back, only instantiate it
// and share the machine code V8 has already optimised (lib/core.mjs, instantiate).
const compiled = new Map();

function load(dir) {
  const wasmPath = path.join(dir, 'tariff.wasm');
  const st = fs.statSync(wasmPath);
  const key = `${wasmPath}\0${st.size}\0${st.mtimeMs}`;
  let entry = compiled.get(key);
  if (!entry) {
    entry = Promise.all([
      import(pathToFileURL(path.join(dir, 'tariff.mjs')).href),
      WebAssembly.compile(fs.readFileSync(wasmPath)),
    ]).then(([factory, module]) => ({ factory: factory.default, module }));
    compiled.set(key, entry);
    entry.catch(() => compiled.delete(key));
  }
  return entry;
}

async function createTariff(options = {}) {
  const dir = locate(options.wasmDir);
  const [{ factory, module }, core] = await Promise.all([load(dir), import('./lib/core.mjs')]);
  const mod = await core.instantiate(factory, module);
  // A fresh instance of the same module gives a grown memory back (lib/core.mjs).
  const renew = () => core.instantiate(factory, module);
  return core.bindTariff(mod, TariffError, { renew, ...options });
}

exports.createTariff = createTariff;
exports.TariffError = TariffError;
