// tariff for browsers (and bundlers: the "browser" condition of the package's import). The
// engine's JavaScript half (dist/tariff.mjs) is imported statically, so a bundler includes it;
// tariff.wasm is fetched from options.wasmUrl, or tariff.wasm in options.wasmDir, or by default
// dist/tariff.wasm beside this file (serve it with the page when you bundle). It is compiled
// while it downloads (WebAssembly.compileStreaming, when served as application/wasm) and once
// per page and URL: a second createTariff and the fresh instance that gives a grown memory back
// only instantiate the compiled module (lib/core.mjs, instantiate).
import factory from './dist/tariff.mjs';
import { bindTariff, instantiate, TariffError } from './lib/core.mjs';

export { TariffError };

function wasmLocation(options) {
  const base = globalThis.location?.href;
  if (options.wasmUrl) return new URL(options.wasmUrl, base);
  if (options.wasmDir) return new URL('tariff.wasm', new URL(options.wasmDir, base));
  return new URL('./dist/tariff.wasm', import.meta.url);
}

async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tariff: ${response.status} fetching ${url}`);
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

const compiled = new Map();  // URL → Promise<WebAssembly.Module>

export async function createTariff(options = {}) {
  const url = wasmLocation(options).href;
  let module = compiled.get(url);
  if (!module) {
    module = compile(url);
    compiled.set(url, module);
    module.catch(() => compiled.delete(url));
  }
  const m = await module;
  const renew = () => instantiate(factory, m);
  return bindTariff(await instantiate(factory, m), TariffError, { renew, ...options });
}
