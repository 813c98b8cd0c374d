// tariff for Node (CommonJS; index.mjs re-exports this file so both flavours share one
// TariffError class). Loads dist/tariff.mjs + tariff.wasm from inside this package (npm pack's
// prepack and scripts/build-wasm.sh put them there) and reads the wasm bytes with readFileSync
// (Emscripten 3.1.6 cannot fetch a file path in Node). No path outside the package is looked up.
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
