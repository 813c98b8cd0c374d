#!/usr/bin/env bash
# Builds native (build/) and WASM (build-wasm/), runs tariff_bench and bench/wasm_bench.mjs,
# prints the WASM/native ratios and the artefact sizes. Results in build/bench/.
# Not part of the test command.   Usage: bash bench/run.sh [min_time_seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${1:-0.5}
BUILD=${TARIFF_BUILD_DIR:-build}
WASM=${TARIFF_WASM_DIR:-build-wasm}
if [ -z "${TARIFF_NO_BUILD:-}" ]; then bash scripts/build all; fi
mkdir -p build/bench
# Reading and current_usage at 100k and 1M events (bench/read_bench.cpp): generated, not kept.
[ -f build/bench/inputs/events_1m.json ] || node bench/make_inputs.mjs --out build/bench/inputs --sizes 100k,1m >/dev/null
export TARIFF_BENCH_LARGE_INPUTS=${TARIFF_BENCH_LARGE_INPUTS:-$PWD/build/bench/inputs}
"$BUILD/tariff_bench" --benchmark_min_time="$MIN" --benchmark_out=build/bench/native.json \
  --benchmark_out_format=json 2> >(grep -v 'built as DEBUG' >&2)
node bench/wasm_bench.mjs --wasm-dir "$WASM" --min-time "$MIN" > build/bench/wasm.json
node bench/compare.mjs build/bench/native.json build/bench/wasm.json
echo
node bench/check_impact.mjs   # tariff check / tariff impact throughput (build/bench/check_impact.json)
echo
NODE_PATH=/usr/share/nodejs cmake --build "$WASM" --target tariff_expression_bench >/dev/null  # the direct measurement's module (em++ needs NODE_PATH, TOOLCHAIN.md)
node bench/expression_bench.mjs --wasm-dir "$WASM" > build/bench/expression.txt  # vs lago-expression
head -5 build/bench/expression.txt
echo
node -e "const c=require('./build/bench/wasm.json').context; console.log('first createTariff (read + compile + instantiate):', c.create_first_ms.toFixed(1), 'ms; compile (median of 5):', c.compile_ms_median.toFixed(1), 'ms; createTariff with the module compiled (median of 5):', c.instantiate_ms_median.toFixed(1), 'ms')"
for f in "$WASM/tariff.wasm" "$WASM/tariff.mjs" "$WASM/tariff-core.mjs"; do
  printf '%-28s %8d bytes raw %8d bytes gzip -9\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
