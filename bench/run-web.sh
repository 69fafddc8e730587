#!/usr/bin/env bash
# aqcast's npm package next to onnxruntime-web 1.30.0 (wasm, one thread) in one Node
# process: batch rows/s, single-row latency, cold start, bytes downloaded, parity with
# LightGBM. The model is the canonical h=1 LightGBM model, converted to ONNX by onnxmltools
# and to .aqm by `aqcast import`.
# Usage: bench/run-web.sh        Needs: python3 (lightgbm, onnxmltools), node, the pkg build.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/bench/out"
python3 -c 'import lightgbm, onnxmltools' 2>/dev/null ||
  pip install numpy pandas lightgbm==4.7.0 xgboost==3.2.0 scikit-learn==1.9.1 onnxmltools==1.16.0 onnx==1.23.2
[ -f "$out/ref/lightgbm_h1.txt" ] ||
  python3 bench/reference.py --out "$out/ref" --threads 1 --models lightgbm > "$out/reference.json"
(cd bench && npm ci --no-audit --no-fund)
scripts/build-pkg
python3 bench/to_onnx.py "$out/ref/lightgbm_h1.txt" "$out/lightgbm_h1.onnx" 15
# Each runtime gets the model in its own format, converted ahead of time: ONNX for
# onnxruntime-web, .aqm (aqcast import) for aqcast.
cargo build --release -q -p aqcast
"${CARGO_TARGET_DIR:-target}/release/aqcast" import "$out/ref/lightgbm_h1.txt" -o "$out/lightgbm_h1.aqm"
node bench/web.mjs "$out" | tee "$out/web.json"
