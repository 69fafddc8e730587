#!/usr/bin/env bash
# The inference benchmark of the canonical task, aqcast next to the reference libraries in
# one run on this machine (ratios, not absolute times, are what to compare).
#
#   1. bench/reference.py trains the canonical 500-tree LightGBM and XGBoost
#      models and times their own batch predict (1 thread) and single-row predict;
#   2. aqcast predicts the same rows natively (criterion, crates/core/benches) and in wasm
#      under Node (bench/wasm-bench, plain and with simd128), after checking that every
#      prediction equals LightGBM's own;
#   3. bench/report.py prints the table recorded in BENCHMARKS.md.
#
# Usage: bench/run.sh [--reps N]        Needs: python3, node, the wasm32 target.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=5
[ "${1:-}" = "--reps" ] && reps="$2"
out="$PWD/bench/out"
mkdir -p "$out"
python3 -c 'import lightgbm, xgboost, sklearn, pandas' 2>/dev/null ||
  pip install numpy pandas lightgbm==4.7.0 xgboost==3.2.0 scikit-learn==1.9.1

echo "== reference libraries (bench/reference.py, 1 thread, $reps reps)"
python3 bench/reference.py --out "$out/ref" --threads 1 --reps "$reps" > "$out/reference.json"

echo "== aqcast native: parity on all canonical test rows, then criterion"
cargo build --release -p aqcast
for h in 1 24; do
  "${CARGO_TARGET_DIR:-target}/release/aqcast" predict --model "$out/ref/lightgbm_h$h.txt" --input "$out/ref/test_X_h$h.csv" > "$out/aqcast_lightgbm_h$h.txt"
  "${CARGO_TARGET_DIR:-target}/release/aqcast" predict --model "$out/ref/xgboost_h$h.json" --input "$out/ref/test_X_h$h.csv" > "$out/aqcast_xgboost_h$h.txt"
done
AQCAST_BENCH_MODEL="$out/ref/lightgbm_h1.txt" AQCAST_BENCH_INPUT="$out/ref/test_X_h1.csv" \
  cargo bench -p aqcast-core --bench inference -- --warm-up-time 2 --measurement-time 5 \
  > "$out/criterion.txt"

echo "== aqcast in wasm (Node $(node --version), one thread)"
cargo build -p aqcast-wasm-bench --target wasm32-unknown-unknown --release
node bench/wasm-bench/run.mjs --wasm target/wasm32-unknown-unknown/release/aqcast_wasm_bench.wasm \
  --model "$out/ref/lightgbm_h1.txt" --input "$out/ref/test_X_h1.csv" \
  --expect "$out/ref/lightgbm_pred_h1.csv" --bench --reps 9 > "$out/wasm.json"
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR=target/simd128 \
  cargo build -p aqcast-wasm-bench --target wasm32-unknown-unknown --release
node bench/wasm-bench/run.mjs --wasm target/simd128/wasm32-unknown-unknown/release/aqcast_wasm_bench.wasm \
  --model "$out/ref/lightgbm_h1.txt" --input "$out/ref/test_X_h1.csv" \
  --expect "$out/ref/lightgbm_pred_h1.csv" --bench --reps 9 > "$out/wasm_simd.json"

echo "== report"
python3 bench/report.py "$out" | tee "$out/report.md"
