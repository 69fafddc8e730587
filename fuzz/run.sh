#!/usr/bin/env bash
# Fuzzes every decoder of untrusted bytes for SECONDS each (default 300): the .aqm decoder
# `load_any` (format detection, LightGBM text, XGBoost JSON, aqcast JSON and binary) and
# `aqcast ingest` on a measurement file of any format.
# Not part of CI. Needs cargo-fuzz (installed here if missing) and a C compiler; uses
# RUSTC_BOOTSTRAP=1 because only a stable toolchain is available.
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
cargo fuzz --version 2>/dev/null | grep -qF 0.13.1 || cargo install cargo-fuzz --version 0.13.1 --locked
for t in decode_artifact load_any_model ingest_file; do
  mkdir -p "corpus/$t"
  cp -n seeds/$t/* "corpus/$t/" 2>/dev/null || true
  echo "== $t, $secs s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=4096 2>&1 |
    grep -E "^#[0-9]+.*DONE|^Done|ERROR|panicked|SUMMARY" || true
done
