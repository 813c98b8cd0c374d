// The environment-agnostic half of the tariff package: given an instantiated engine module
// (build-wasm/tariff.mjs) it returns the operations. Input: a snapshot object or its
// JSON text; output: the parsed result; failure: a TariffError carrying the error document.
//
// Strings cross into wasm memory with TextEncoder.encodeInto and come back as a view of the
// module's output buffer (the "fast path", ~1 µs instead of ~20 µs per 2 KB through embind's
// std::string copies). The input buffer is reused and only grows, so memory stays flat over
// any number of calls. The module is single-threaded: calls are synchronous and never overlap.
//
// A wasm memory never shrinks: after one large snapshot the instance would keep its peak for
// good. When the caller gives `options.renew` (an async function returning a fresh module, as
// the Node entry does) and a call leaves the memory above `options.shrinkAboveBytes` (64 MiB
// by default), a fresh instance is made in the background and replaces this one, whose memory
// is then garbage; calls made meanwhile use the old one. `settled()` waits for that.

/**
 * A fresh engine instance from an already compiled WebAssembly.Module (`factory`: the default
 * export of the engine's tariff.mjs). Compiling is most of the start-up cost, and the
 * optimised machine code V8 makes for a hot function belongs to the Module: instances made
 * this way neither compile again nor start over in the baseline tier (a renewed instance is
 * as fast as the one it replaces).
 */
export function instantiate(factory, module) {
  return new Promise((resolve, reject) => {
    factory({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), reject);
        return {};  // asynchronous: Emscripten waits for receive()
      },
    }).then(resolve, reject);
  });
}

/** Operation codes as tariff::Operation orders them (bindings/wasm/tariff_wasm.cpp). */
export const OPERATIONS = Object.freeze({
  preview: 0,
  current_usage: 1,
  projected_usage: 2,
  estimate_fees: 3,
  bill: 4,
  lifetime_usage: 5,
  compare_plans: 6,
});

const ALIASES = { currentUsage: 'current_usage', projectedUsage: 'projected_usage',
  estimateFees: 'estimate_fees', lifetimeUsage: 'lifetime_usage',
  comparePlans: 'compare_plans' };

/** Lago-style error document → Error subclass (CONTRACT §4). */
export class TariffError extends Error {
  constructor(document) {
    super(describe(document));
    this.name = 'TariffError';
    this.status = document.status;
    this.code = document.code;
    this.details = document.error_details ?? {};
    this.document = document;
  }
}

/** "validation_errors: plans[0].amount_cents: invalid_amount" — for messages only. */
export function describe(document) {
  const parts = Object.entries(document.error_details ?? {})
    .map(([path, codes]) => `${path}: ${[].concat(codes).join(', ')}`);
  return `${document.status} ${document.code}` + (parts.length ? ` (${parts.join('; ')})` : '');
}

function to_text(input) {
  if (typeof input === 'string' || input instanceof Uint8Array) return input;
  if (input === null || typeof input !== 'object') {
    throw new TypeError('tariff: the snapshot must be an object or a JSON string');
  }
  return JSON.stringify(input);
}

/**
 * Wraps an instantiated module. `ErrorClass` lets the CommonJS entry keep one TariffError
 * identity for Node; browsers use the class above. `options.fastPath === false` uses
 * embind's string functions instead of the memory views (same bytes, slower).
 */
export function bindTariff(mod, ErrorClass = TariffError, options = {}) {
  const shrinkAbove = options.shrinkAboveBytes ?? 64 * 1024 * 1024;
  let renewing = null;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const fast = options.fastPath !== false;
  let cap = 0;
  let buf = 0;

  // Grows the reusable input buffer to hold `need` bytes (never shrinks).
  function reserve(need) {
    if (need <= cap) return;
    if (buf) mod.freeBuffer(buf);
    cap = Math.max(need, 64 * 1024, cap * 2);
    buf = Number(mod.allocBuffer(cap));
    if (!buf) throw new RangeError('tariff: out of wasm memory');
  }

  // A fresh instance when this one's memory has grown past the threshold (see above).
  function maybeRenew() {
    if (!options.renew || renewing || mod.HEAPU8.length <= shrinkAbove) return;
    renewing = Promise.resolve(options.renew()).then((fresh) => {
      mod = fresh;
      cap = 0;
      buf = 0;
    }).finally(() => { renewing = null; });
  }

  /** Raw call: { status, body } with body the exact bytes the CLI prints (minus newline). */
  function run(operation, input) {
    const name = ALIASES[operation] ?? operation;
    const op = OPERATIONS[name];
    if (op === undefined) throw new TypeError(`tariff: unknown operation ${operation}`);
    let text = to_text(input);
    let body;
    if (fast) {
      // One copy into wasm memory: UTF-8 bytes as they are, a string encoded in place.
      // HEAPU8 is re-read on every call: memory growth replaces the underlying buffer.
      let n;
      if (typeof text === 'string') {
        // As many bytes as UTF-16 units first (ASCII, the usual JSON); if that was too small,
        // room for the worst case (a UTF-16 unit → at most 3 UTF-8 bytes) and once more.
        reserve(text.length);
        let r = encoder.encodeInto(text, mod.HEAPU8.subarray(buf, buf + cap));
        if (r.read < text.length) {
          reserve(text.length * 3);
          r = encoder.encodeInto(text, mod.HEAPU8.subarray(buf, buf + cap));
        }
        n = r.written;
      } else {
        reserve(text.length);
        mod.HEAPU8.set(text, buf);
        n = text.length;
      }
      body = decoder.decode(mod.runView(op, buf, n));
    } else {
      if (typeof text !== 'string') text = decoder.decode(text);
      const embind = [mod.preview, mod.currentUsage, mod.projectedUsage, mod.estimateFees, mod.bill, mod.lifetimeUsage,
        mod.comparePlans];
      body = embind[op](text);
    }
    const status = mod.lastStatus();
    maybeRenew();
    return { status, body };
  }

  function call(operation, input) {
    const { status, body } = run(operation, input);
    const doc = JSON.parse(body);
    if (status !== 200) throw new ErrorClass(doc);
    return doc;
  }

  return {
    preview: (snapshot) => call('preview', snapshot),
    currentUsage: (snapshot) => call('current_usage', snapshot),
    projectedUsage: (snapshot) => call('projected_usage', snapshot),
    estimateFees: (snapshot) => call('estimate_fees', snapshot),
    bill: (snapshot) => call('bill', snapshot),
    lifetimeUsage: (snapshot) => call('lifetime_usage', snapshot),
    comparePlans: (snapshot) => call('compare_plans', snapshot),
    run,
    /** Bytes of wasm linear memory, for leak checks. */
    memoryBytes: () => mod.HEAPU8.length,
    /** Bytes malloc holds inside the module (live allocations). */
    heapUsedBytes: () => mod.heapUsedBytes(),
    /** Resolves once a fresh instance that gives memory back (see above) is in place. */
    settled: () => renewing ?? Promise.resolve(),
    get module() { return mod; },
  };
}
