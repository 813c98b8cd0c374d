// The environment-agnostic half of the tariff package: given an instantiated engine module
// (build-wasm/tariff.mjs) it returns the operations. Input: a snapshot object or its
// JSON text; output: the parsed result; failure: a TariffError carrying the error document.
//
// Strings cross into wasm memory with TextEncoder.encodeInto and come back as a view of the
// module's output buffer (the "fast path", ~1 µs instead of ~20 µs per 2 KB through embind's
// std::string copies). The input buffer is reused and only grows, so memory stays flat over
// any number of calls. The module is single-threaded: calls are synchronous and never overlap.

/** Operation codes as tariff::Operation orders them (bindings/wasm/tariff_wasm.cpp). */
export const OPERATIONS = Object.freeze({
  preview: 0,
  current_usage: 1,
  projected_usage: 2,
  estimate_fees: 3,
  bill: 4,
  compare_plans: 5,
});

const ALIASES = { currentUsage: 'current_usage', projectedUsage: 'projected_usage',
  estimateFees: 'estimate_fees', comparePlans: 'compare_plans' };

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
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return new TextDecoder().decode(input);
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

  const embind = [mod.preview, mod.currentUsage, mod.projectedUsage, mod.estimateFees, mod.bill,
    mod.comparePlans];

  /** Raw call: { status, body } with body the exact bytes the CLI prints (minus newline). */
  function run(operation, input) {
    const name = ALIASES[operation] ?? operation;
    const op = OPERATIONS[name];
    if (op === undefined) throw new TypeError(`tariff: unknown operation ${operation}`);
    const text = to_text(input);
    let body;
    if (fast) {
      reserve(text.length * 3);  // UTF-16 unit → at most 3 UTF-8 bytes
      // HEAPU8 is re-read on every call: memory growth replaces the underlying buffer.
      const n = encoder.encodeInto(text, mod.HEAPU8.subarray(buf, buf + cap)).written;
      body = decoder.decode(mod.runView(op, buf, n));
    } else {
      body = embind[op](text);
    }
    return { status: mod.lastStatus(), body };
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
    comparePlans: (snapshot) => call('compare_plans', snapshot),
    run,
    /** Bytes of wasm linear memory, for leak checks. */
    memoryBytes: () => mod.HEAPU8.length,
    /** Bytes malloc holds inside the module (live allocations). */
    heapUsedBytes: () => mod.heapUsedBytes(),
    module: mod,
  };
}
