// tariff for browsers: imports tariff.mjs and fetches tariff.wasm from dist/ beside this file
// (a packaged copy) or from the repository's build-wasm/ (a development tree), unless
// options.wasmDir (a URL of the directory holding both) says where.
import { bindTariff, TariffError } from './lib/core.mjs';

export { TariffError };

async function load(dir) {
  const factory = (await import(new URL('tariff.mjs', dir).href)).default;
  const response = await fetch(new URL('tariff.wasm', dir));
  if (!response.ok) throw new Error(`tariff: ${response.status} fetching tariff.wasm`);
  return { factory, wasmBinary: new Uint8Array(await response.arrayBuffer()) };
}

export async function createTariff(options = {}) {
  const dirs = options.wasmDir ? [new URL(options.wasmDir, globalThis.location?.href)]
    : [new URL('./dist/', import.meta.url), new URL('../build-wasm/', import.meta.url)];
  let lastError;
  for (const dir of dirs) {
    let loaded;
    try {
      loaded = await load(dir);
    } catch (e) {
      lastError = e;
      continue;
    }
    const mod = await loaded.factory({ wasmBinary: loaded.wasmBinary });
    return bindTariff(mod, TariffError, options);
  }
  throw lastError;
}
