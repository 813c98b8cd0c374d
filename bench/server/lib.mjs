// What the server benchmarks (bench/server/*.mjs) share: their numeric arguments, percentiles
// and a timed phase of concurrent requests. Server, store and catalog set-up come from
// server/testing/harness.mjs (startServer, tempDb, postCatalog).

// The positional arguments as numbers, `defaults[i]` for a missing one:
//   const [SECONDS, BIG] = numberArgs(['seconds per phase', 3], ['events', 10000]);
// Exits with a usage line naming the argument when one is not a number.
export function numberArgs(...specs) {
  const given = process.argv.slice(2);
  return specs.map(([name, fallback], i) => {
    const v = Number(given[i] ?? fallback);
    if (!Number.isFinite(v) || v < 0) {
      const script = process.argv[1].replace(/.*\//, '');
      console.error(`usage: node ${script} ${specs.map(([n, d]) => `[${n}, default ${d}]`).join(' ')}\n` +
        `${name}: not a number: ${given[i]}`);
      process.exit(64);
    }
    return v;
  });
}

// The p-th percentile (0..1) of ascending `sorted`.
export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

// makeRequest(i) → {status} from `concurrency` clients for `seconds` (at most `max` requests):
// {requests, secs, perSec, p50, p99 (ms), statuses: {status: count}}.
export async function phase(makeRequest, { seconds, concurrency = 4, max = Infinity }) {
  const lat = [];
  const statuses = {};
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && n < max) {
      const i = n++;
      const t = performance.now();
      const r = await makeRequest(i);
      lat.push(performance.now() - t);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { requests: lat.length, secs, perSec: lat.length / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), statuses };
}
