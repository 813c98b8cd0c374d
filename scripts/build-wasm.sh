#!/usr/bin/env bash
# `npm run build`: builds the WASM module (build-wasm/tariff.mjs + tariff.wasm, via
# scripts/build wasm) and copies it into node/dist/, the one place the Node package and the
# browser entry load it from (TARIFF_WASM_DIR or the wasmDir option name another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build wasm
mkdir -p node/dist
cp build-wasm/tariff.mjs build-wasm/tariff.wasm node/dist/
ls -l node/dist/tariff.mjs node/dist/tariff.wasm
