#!/usr/bin/env bash
# `npm run build`: builds the WASM module (build-wasm/tariff.mjs + tariff.wasm, via
# scripts/build wasm) and copies it into node/dist/, where the Node package and the
# browser entry look first. Node also falls back to build-wasm/ when dist/ is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build wasm
mkdir -p node/dist
cp build-wasm/tariff.mjs build-wasm/tariff.wasm node/dist/
ls -l node/dist/tariff.mjs node/dist/tariff.wasm
