// tariff for browsers (and bundlers: the "browser" condition of the package's import). The
// engine's JavaScript half (dist/tariff.mjs) is imported statically, so a bundler includes it;
// tariff.wasm is fetched from options.wasmUrl, or tariff.wasm in options.wasmDir, or by default
// dist/tariff.wasm beside this file (serve it with the page when you bundle).
import factory from './dist/tariff.mjs';
import { bindTariff, TariffError } from './lib/core.mjs';

export { TariffError };

function wasmLocation(options) {
  const base = globalThis.location?.href;
  if (options.wasmUrl) return new URL(options.wasmUrl, base);
  if (options.wasmDir) return new URL('tariff.wasm', new URL(options.wasmDir, base));
  return new URL('./dist/tariff.wasm', import.meta.url);
}

export async function createTariff(options = {}) {
  const url = wasmLocation(options);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tariff: ${response.status} fetching ${url}`);
  const wasmBinary = new Uint8Array(await response.arrayBuffer());
  return bindTariff(await factory({ wasmBinary }), TariffError, options);
}
